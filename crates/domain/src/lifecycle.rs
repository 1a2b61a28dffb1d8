//! The petition lifecycle (domain.md, Lifecycle) as a state machine: every legal step, and the
//! reason an illegal one is refused.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Registered,     // 已登记, waiting for triage (分流)
    Forwarded,      // 转送
    Assigned,       // 交办
    Redirected,     // 法定途径
    NotAccepted,    // 不予受理
    Escalated,      // 上报 (重大紧急)
    TransferredOut, // belongs to another node
    Accepted,       // 受理
    Answered,       // 已答复
    Review,         // 复查中
    Reviewed,       // 已复查
    ReExamination,  // 复核中
    ReExamined,     // 已复核
    Terminated,     // 终结
    Closed,         // 办结
    Linked,         // 重复件: linked to an open original, no case of its own
    NotReaccepted,  // 不再受理: same facts after 终结
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Forward,              // 转送
    Assign,               // 交办
    Redirect,             // 引导至法定途径
    NotAccept,            // 不予受理
    Escalate,             // 上报
    TransferOut,          // to another node
    Accept,               // 受理
    Object,               // 异议: back to triage
    Answer,               // 出具处理意见
    RequestReview,        // 申请复查
    DecideReview,         // 复查意见
    RequestReExamination, // 申请复核
    DecideReExamination,  // 复核意见
    Terminate,            // 终结
    Close,                // 办结: the request window passed
}

/// 信访件类型: a petition, or a people's suggestion (人民建议, Art. 29).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ItemKind {
    #[default]
    Petition,
    Suggestion,
}

/// 法定途径 (Art. 31 (1)–(5)): where a matter for another procedure is redirected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatutoryRoute {
    Litigation,      // 诉讼 / 涉法涉诉
    Arbitration,     // 仲裁
    Reconsideration, // 行政复议
    Police,          // 公安
    Discipline,      // 纪检监察
}

impl StatutoryRoute {
    pub const ALL: [StatutoryRoute; 5] = [
        StatutoryRoute::Litigation,
        StatutoryRoute::Arbitration,
        StatutoryRoute::Reconsideration,
        StatutoryRoute::Police,
        StatutoryRoute::Discipline,
    ];

    /// The name the code tables use (`litigation`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            StatutoryRoute::Litigation => "litigation",
            StatutoryRoute::Arbitration => "arbitration",
            StatutoryRoute::Reconsideration => "reconsideration",
            StatutoryRoute::Police => "police",
            StatutoryRoute::Discipline => "discipline",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The route as a petitioner is told it.
    pub fn label(self) -> &'static str {
        match self {
            StatutoryRoute::Litigation => "诉讼",
            StatutoryRoute::Arbitration => "仲裁",
            StatutoryRoute::Reconsideration => "行政复议",
            StatutoryRoute::Police => "公安机关",
            StatutoryRoute::Discipline => "纪检监察",
        }
    }
}

/// An illegal step: the state it was tried in and why it cannot happen there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action:?} an item that is {state:?}: {reason}")]
pub struct IllegalTransition {
    pub state: State,
    pub action: Action,
    pub reason: &'static str,
}

pub const ALL_STATES: [State; 17] = [
    State::Registered,
    State::Forwarded,
    State::Assigned,
    State::Redirected,
    State::NotAccepted,
    State::Escalated,
    State::TransferredOut,
    State::Accepted,
    State::Answered,
    State::Review,
    State::Reviewed,
    State::ReExamination,
    State::ReExamined,
    State::Terminated,
    State::Closed,
    State::Linked,
    State::NotReaccepted,
];

impl State {
    /// The stable name stored in databases (`registered`, `not_reaccepted`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Registered => "registered",
            State::Forwarded => "forwarded",
            State::Assigned => "assigned",
            State::Redirected => "redirected",
            State::NotAccepted => "not_accepted",
            State::Escalated => "escalated",
            State::TransferredOut => "transferred_out",
            State::Accepted => "accepted",
            State::Answered => "answered",
            State::Review => "review",
            State::Reviewed => "reviewed",
            State::ReExamination => "re_examination",
            State::ReExamined => "re_examined",
            State::Terminated => "terminated",
            State::Closed => "closed",
            State::Linked => "linked",
            State::NotReaccepted => "not_reaccepted",
        }
    }

    pub fn parse(name: &str) -> Option<State> {
        ALL_STATES.into_iter().find(|s| s.as_str() == name)
    }

    /// The state as clerks and petitioners read it.
    pub fn label(self) -> &'static str {
        match self {
            State::Registered => "已登记",
            State::Forwarded => "已转送",
            State::Assigned => "已交办",
            State::Redirected => "引导法定途径",
            State::NotAccepted => "不予受理",
            State::Escalated => "已上报",
            State::TransferredOut => "转有权处理地",
            State::Accepted => "已受理",
            State::Answered => "已答复",
            State::Review => "复查中",
            State::Reviewed => "已复查",
            State::ReExamination => "复核中",
            State::ReExamined => "已复核",
            State::Terminated => "已终结",
            State::Closed => "已办结",
            State::Linked => "重复件",
            State::NotReaccepted => "不再受理",
        }
    }

    /// Whether the item is still being worked on (counts as open for repeat screening).
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            State::Redirected
                | State::NotAccepted
                | State::TransferredOut
                | State::Terminated
                | State::Closed
                | State::Linked
                | State::NotReaccepted
        )
    }

    /// The state after `action`, or why `action` is not allowed now.
    pub fn apply(self, action: Action) -> Result<State, IllegalTransition> {
        use Action as A;
        use State as S;
        let next = match (self, action) {
            (S::Registered, A::Forward) => S::Forwarded,
            (S::Registered, A::Assign) => S::Assigned,
            (S::Registered, A::Redirect) => S::Redirected,
            (S::Registered, A::NotAccept) => S::NotAccepted,
            (S::Registered, A::Escalate) => S::Escalated,
            (S::Registered | S::Forwarded | S::Assigned, A::TransferOut) => S::TransferredOut,
            (S::Forwarded | S::Assigned, A::Accept) => S::Accepted,
            (S::Forwarded | S::Assigned, A::Object) => S::Registered,
            (S::Accepted, A::Answer) => S::Answered,
            (S::Answered, A::RequestReview) => S::Review,
            (S::Review, A::DecideReview) => S::Reviewed,
            (S::Reviewed, A::RequestReExamination) => S::ReExamination,
            (S::ReExamination, A::DecideReExamination) => S::ReExamined,
            (S::ReExamined, A::Terminate) => S::Terminated,
            (S::Answered | S::Reviewed, A::Close) => S::Closed,
            (state, action) => {
                return Err(IllegalTransition {
                    state,
                    action,
                    reason: refusal(state, action),
                });
            }
        };
        Ok(next)
    }
}

fn refusal(state: State, action: Action) -> &'static str {
    use Action as A;
    use State as S;
    match (state, action) {
        (S::Registered, A::Answer) => "it has not been routed and accepted yet",
        (S::Forwarded | S::Assigned, A::Answer) => "the receiving organ has not accepted it yet",
        (_, A::Accept) => "only an item forwarded or assigned to an organ can be accepted",
        (_, A::Object) => "only the receiving organ of a forwarded or assigned item can object",
        (_, A::RequestReview) => "a review (复查) can only be requested after the answer",
        (_, A::RequestReExamination) => "a re-examination (复核) can only follow a review decision",
        (_, A::Terminate) => "only a re-examined item can be terminated (终结)",
        (S::Linked, _) => "a repeat item follows its original; act on the original",
        (S::NotReaccepted | S::Terminated, _) => "the matter is terminated and not accepted again",
        (S::Closed, _) => "the item is closed (办结)",
        (_, A::Forward | A::Assign | A::Redirect | A::NotAccept | A::Escalate) => {
            "triage happens once, on a registered item"
        }
        _ => "that step does not follow from the item's current state",
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip() {
        for state in ALL_STATES {
            assert_eq!(State::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn the_full_path_to_termination() {
        let mut s = State::Registered;
        for action in [
            Action::Forward,
            Action::Accept,
            Action::Answer,
            Action::RequestReview,
            Action::DecideReview,
            Action::RequestReExamination,
            Action::DecideReExamination,
            Action::Terminate,
        ] {
            s = s.apply(action).unwrap();
        }
        assert_eq!(s, State::Terminated);
        assert!(!s.is_open());
    }

    #[test]
    fn an_objection_sends_the_item_back_to_triage() {
        let s = State::Assigned.apply(Action::Object).unwrap();
        assert_eq!(s, State::Registered);
        assert_eq!(s.apply(Action::Forward).unwrap(), State::Forwarded);
    }

    #[test]
    fn answering_before_acceptance_is_refused_with_the_reason() {
        let err = State::Forwarded.apply(Action::Answer).unwrap_err();
        assert_eq!(err.reason, "the receiving organ has not accepted it yet");
        assert!(State::Registered.apply(Action::Answer).is_err());
    }

    #[test]
    fn nothing_moves_a_terminated_or_linked_item() {
        for action in [
            Action::Forward,
            Action::Accept,
            Action::Answer,
            Action::Close,
        ] {
            assert!(State::Terminated.apply(action).is_err());
            assert!(State::Linked.apply(action).is_err());
        }
    }

    #[test]
    fn answered_and_reviewed_items_close_when_the_window_passes() {
        assert_eq!(State::Answered.apply(Action::Close).unwrap(), State::Closed);
        assert_eq!(State::Reviewed.apply(Action::Close).unwrap(), State::Closed);
        assert!(State::Review.apply(Action::Close).is_err());
    }
}
