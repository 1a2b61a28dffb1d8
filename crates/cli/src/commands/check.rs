//! `xinfang check`: what the people who run a node should look at — how far the holiday calendar
//! reaches, events parked or not yet published, and registered items whose case never came.
//! Exits with failure when something needs them.

use crate::node::Node;
use xinfang_events::parked;
use xinfang_platform::clock::NodeClock;
use xinfang_supervision::watch::Watcher;

const SERVICES: [&str; 5] = [
    "intake",
    "dispatch",
    "supervision",
    "evaluation",
    "jointmeeting",
];

pub async fn run() -> anyhow::Result<()> {
    let node = Node::start(&[]).await?;
    let clock = NodeClock::new(&node.settings.clock).map_err(anyhow::Error::msg)?;
    let mut problems = 0;
    let mut say = |bad: bool, line: String| {
        problems += usize::from(bad);
        println!("{} {line}", if bad { "✗" } else { "✓" });
    };

    let calendar = &node.reference.current().calendar;
    match node.reference.calendar_warning(clock.today()) {
        Some(warning) => say(true, warning),
        None => say(
            false,
            format!(
                "holiday calendar: arrangements loaded to {}",
                calendar
                    .published_through()
                    .map_or_else(|| "no year".into(), |d| d.to_string())
            ),
        ),
    }
    for service in SERVICES {
        let waiting = parked::list(&node.db, service, false).await?.len();
        say(
            waiting > 0,
            format!("{service}: {waiting} parked event(s) (xinfang events parked)"),
        );
        let unpublishable = xinfang_events::relay::unpublishable(&node.db, service)
            .await?
            .len();
        let (count, oldest) = xinfang_events::relay::backlog(&node.db, service).await?;
        let oldest = oldest.map(|t| format!(", oldest {}", clock.show(t)));
        say(
            unpublishable > 0,
            format!(
                "{service}: {count} event(s) waiting for the broker{}, {unpublishable} the broker can never take",
                oldest.unwrap_or_default()
            ),
        );
    }
    let handler = xinfang_supervision::run::follower(
        &node.settings,
        node.db.clone(),
        node.reference.clone(),
    )?;
    let missing = Watcher {
        oversight: handler.oversight,
    }
    .cases_missing()
    .await?;
    say(
        !missing.is_empty(),
        format!(
            "{} registered item(s) without a case after {} minutes{}",
            missing.len(),
            node.settings.supervision.case_expected_within_minutes,
            if missing.is_empty() {
                String::new()
            } else {
                format!(": {}", missing.join(", "))
            }
        ),
    );
    anyhow::ensure!(problems == 0, "{problems} thing(s) need a look");
    Ok(())
}
