//! Why a command is refused: a stable reason code (`XF_…`) a program can branch on, the message a
//! person reads, and the fields at fault. Every reason of the platform is listed here, once; the
//! gRPC layer carries the code in `google.rpc.ErrorInfo` beside the message and the field
//! violations, and the proto comments name the codes each call can return.

use crate::FieldError;
use std::fmt;

/// How a refusal is answered on the wire: the gRPC status code of its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    InvalidArgument,
    NotFound,
    AlreadyExists,
    PermissionDenied,
    FailedPrecondition,
    /// A concurrent change won; retrying may succeed.
    Aborted,
    ResourceExhausted,
    Unauthenticated,
}

macro_rules! reasons {
    ($($variant:ident = $code:literal, $kind:ident, $doc:literal;)*) => {
        /// Every reason a command of the platform can be refused for.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Reason {
            $(#[doc = $doc] $variant,)*
        }

        /// Every reason, for documentation and tests.
        pub const ALL_REASONS: &[Reason] = &[$(Reason::$variant,)*];

        impl Reason {
            /// The stable code, e.g. `XF_EXTENSION_ALREADY_GRANTED`.
            pub fn code(self) -> &'static str {
                match self { $(Reason::$variant => $code,)* }
            }

            pub fn kind(self) -> Kind {
                match self { $(Reason::$variant => Kind::$kind,)* }
            }

            /// What the reason means, in one line.
            pub fn meaning(self) -> &'static str {
                match self { $(Reason::$variant => $doc,)* }
            }
        }
    };
}

reasons! {
    InvalidArgument = "XF_INVALID_ARGUMENT", InvalidArgument, "a field is missing or malformed; the field violations name it";
    Unauthenticated = "XF_UNAUTHENTICATED", Unauthenticated, "the call needs a valid bearer token";
    UnknownUnit = "XF_UNKNOWN_UNIT", PermissionDenied, "a unit named (the caller's, or an item's) is not in this node's organisation tree";
    OutOfScope = "XF_OUT_OF_SCOPE", PermissionDenied, "the region or unit named lies outside the caller's scope";
    RoleRequired = "XF_ROLE_REQUIRED", PermissionDenied, "the call needs a role the caller does not hold";
    NotFound = "XF_NOT_FOUND", NotFound, "no such item in the caller's scope";
    IdempotencyKeyReused = "XF_IDEMPOTENCY_KEY_REUSED", AlreadyExists, "the idempotency key was used for another request";
    ConcurrentChange = "XF_CONCURRENT_CHANGE", Aborted, "the item kept changing while the command was decided; retry";
    RateLimited = "XF_RATE_LIMITED", ResourceExhausted, "too many calls; retry later";
    IllegalTransition = "XF_ILLEGAL_TRANSITION", FailedPrecondition, "the item's state does not allow this step (lifecycle)";
    NotTriageUnit = "XF_NOT_TRIAGE_UNIT", PermissionDenied, "triage (分流) belongs to another unit";
    NotResponsibleOrgan = "XF_NOT_RESPONSIBLE_ORGAN", PermissionDenied, "the item is handled by another organ";
    NotRouted = "XF_NOT_ROUTED", FailedPrecondition, "the item has not been routed to an organ yet";
    RouteToPetitionOffice = "XF_ROUTE_TO_PETITION_OFFICE", InvalidArgument, "items are routed to a competent organ, not a petition office";
    NotApprover = "XF_NOT_APPROVER", PermissionDenied, "an extension is approved by the organ's leader or a unit above it";
    ObjectionWindowClosed = "XF_OBJECTION_WINDOW_CLOSED", FailedPrecondition, "the 5 working days for an objection (异议) have passed";
    ExtensionAlreadyGranted = "XF_EXTENSION_ALREADY_GRANTED", FailedPrecondition, "the handling limit was extended once already (Art. 34)";
    ExtensionPending = "XF_EXTENSION_PENDING", FailedPrecondition, "an extension request is waiting for approval";
    NoExtensionPending = "XF_NO_EXTENSION_PENDING", FailedPrecondition, "no extension request is waiting";
    ExtensionTooLong = "XF_EXTENSION_TOO_LONG", InvalidArgument, "an extension is at least one day and at most the cap (30 days)";
    NotAssigned = "XF_NOT_ASSIGNED", FailedPrecondition, "a completion report is due for assigned (交办) items only";
    NotASuggestion = "XF_NOT_A_SUGGESTION", FailedPrecondition, "the item is a petition, not a people's suggestion (人民建议)";
    PauseRunning = "XF_PAUSE_RUNNING", FailedPrecondition, "the clock is already paused";
    NoPauseRunning = "XF_NO_PAUSE_RUNNING", FailedPrecondition, "the clock is not paused";
    NoClockRunning = "XF_NO_CLOCK_RUNNING", FailedPrecondition, "no statutory limit is running to pause";
    AlreadyRegistered = "XF_ALREADY_REGISTERED", AlreadyExists, "the item exists already";
    UnknownItem = "XF_UNKNOWN_ITEM", FailedPrecondition, "an event refers to an item this service does not know";
    NoResponsibleOrgan = "XF_NO_RESPONSIBLE_ORGAN", FailedPrecondition, "the item has no responsible organ to supervise yet";
    OrderAlreadyIssued = "XF_ORDER_ALREADY_ISSUED", FailedPrecondition, "a supervision order (督办单) was issued for this item today";
    OrderAlreadyReplied = "XF_ORDER_ALREADY_REPLIED", FailedPrecondition, "the supervision order was replied to already";
    NotAddressee = "XF_NOT_ADDRESSEE", NotFound, "no such supervision order addressed to the caller's unit";
    NotClosed = "XF_NOT_CLOSED", FailedPrecondition, "化解 is certified after the item is closed (办结)";
    NotAnswered = "XF_NOT_ANSWERED", FailedPrecondition, "the item has no answer (处理意见) to evaluate or contest yet";
    AlreadyEvaluated = "XF_ALREADY_EVALUATED", FailedPrecondition, "this opinion was evaluated already: one evaluation per stage";
    EvaluationWindowClosed = "XF_EVALUATION_WINDOW_CLOSED", FailedPrecondition, "the window to evaluate this opinion has passed (超期未评价)";
    BadEvaluationToken = "XF_BAD_EVALUATION_TOKEN", PermissionDenied, "the query code and evaluation token do not open an evaluation";
    NoRevisitOpen = "XF_NO_REVISIT_OPEN", FailedPrecondition, "no revisit (回访) is waiting for this item";
    HearingRunning = "XF_HEARING_RUNNING", FailedPrecondition, "a hearing (听证) is running: end it first";
    NoHearingRunning = "XF_NO_HEARING_RUNNING", FailedPrecondition, "no hearing (听证) is running";
    NotOnAgenda = "XF_NOT_ON_AGENDA", FailedPrecondition, "the item is not on this joint meeting's agenda";
    NotAMember = "XF_NOT_A_MEMBER", FailedPrecondition, "the organ named is not a member unit of the joint meeting";
    ReceptionFull = "XF_RECEPTION_FULL", FailedPrecondition, "every place of the leader's reception day is booked";
    ReceptionClosed = "XF_RECEPTION_CLOSED", FailedPrecondition, "the reception day has passed: no more bookings";
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A refused command: its reason, a readable message and, for bad input, the fields at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub reason: Reason,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl Refusal {
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// Bad input: the fields at fault, in one refusal — the first [`FIELDS_TOLD`], each message
    /// cut to [`FIELD_MESSAGE_CHARS`], and the first three in the message: a refusal travels
    /// in response headers, which clients cap (16 KiB in most HTTP/2 stacks).
    pub fn invalid(mut fields: Vec<FieldError>) -> Self {
        let all = fields.len();
        fields.truncate(FIELDS_TOLD);
        for field in &mut fields {
            if field.message.chars().nth(FIELD_MESSAGE_CHARS).is_some() {
                field.message = field.message.chars().take(FIELD_MESSAGE_CHARS).collect();
                field.message.push('…');
            }
        }
        let mut message = fields
            .iter()
            .take(3)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        if all > 3 {
            message.push_str(&format!("; and {} more", all - 3));
        }
        Self {
            reason: Reason::InvalidArgument,
            message,
            fields,
        }
    }

    /// One bad field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, message)])
    }

    /// A refusal with a reason of its own that also points at a field.
    pub fn at(mut self, field: &str) -> Self {
        self.fields
            .push(FieldError::new(field, self.message.clone()));
        self
    }
}

/// How many bad fields a refusal names.
pub const FIELDS_TOLD: usize = 10;
/// How long a bad field's message may be.
pub const FIELD_MESSAGE_CHARS: usize = 120;

impl From<Vec<FieldError>> for Refusal {
    fn from(fields: Vec<FieldError>) -> Self {
        Refusal::invalid(fields)
    }
}

impl From<FieldError> for Refusal {
    fn from(field: FieldError) -> Self {
        Refusal::invalid(vec![field])
    }
}

impl From<crate::lifecycle::IllegalTransition> for Refusal {
    fn from(err: crate::lifecycle::IllegalTransition) -> Self {
        Refusal::new(Reason::IllegalTransition, err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_stable_in_form() {
        let codes: HashSet<&str> = ALL_REASONS.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), ALL_REASONS.len());
        for code in codes {
            assert!(code.starts_with("XF_"), "{code}");
            assert!(
                code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{code}"
            );
        }
    }

    #[test]
    fn a_refusal_of_many_fields_names_the_first_and_counts_the_rest() {
        let fields = (0..300)
            .map(|i| FieldError::new(format!("petitioners[{i}].name"), "名".repeat(500)))
            .collect();
        let r = Refusal::invalid(fields);
        assert_eq!(r.fields.len(), FIELDS_TOLD);
        assert_eq!(r.fields[0].message.chars().count(), FIELD_MESSAGE_CHARS + 1);
        assert!(r.message.starts_with("petitioners[0].name: 名"));
        assert!(r.message.ends_with("; and 297 more"), "{}", r.message);
        assert!(r.message.chars().count() < 500);
    }

    #[test]
    fn an_invalid_refusal_names_every_field_in_its_message() {
        let r = Refusal::invalid(vec![
            FieldError::new("region_code", "unknown"),
            FieldError::new("content", "empty"),
        ]);
        assert_eq!(r.reason, Reason::InvalidArgument);
        assert_eq!(r.message, "region_code: unknown; content: empty");
    }
}
