//! 矛盾纠纷排查 (domain.md, Supporting workflows): a dispute-screening report from the grassroots
//! networks (村居, 党员 1+10) naming a matter before it reaches a petition office. An escalated
//! item (a group or bypass visit) whose matter no earlier report named counts into 漏排率.

use crate::Refusal;
use crate::aggregate::Aggregate;
use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub region: String,
    pub unit: String,
    pub reporter: String,
    /// The matter as intake keys it (`<category>:<region>` unless the clerk names another).
    pub matter_key: String,
    pub summary: String,
    pub reported_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportCommand {
    File(Report),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportEvent {
    Filed(Report),
}

impl Aggregate for Report {
    type Command = ReportCommand;
    type Event = ReportEvent;
    type Context<'a> = ();

    /// A report is filed once; filing it again (a retried call) changes nothing.
    fn decide(
        state: Option<&Report>,
        command: ReportCommand,
        _: &(),
    ) -> Result<Vec<ReportEvent>, Refusal> {
        let ReportCommand::File(report) = command;
        Ok(match state {
            Some(_) => vec![],
            None => vec![ReportEvent::Filed(report)],
        })
    }

    fn evolve(state: Option<Report>, event: &ReportEvent) -> Option<Report> {
        match event {
            ReportEvent::Filed(report) => Some(state.unwrap_or_else(|| report.clone())),
        }
    }
}
