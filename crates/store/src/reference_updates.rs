//! What the province sent down for the node's reference data, through the exchange's events:
//! holiday calendars (节假日安排更新) and the organisation (组织机构). A service that counts days
//! or reads the organisation keeps each in `<service>_calendar_update` /
//! `<service>_organisation_update` — written in the transaction of the event's inbox row, laid
//! over the reference data at once, and laid over it again at every start, so a restart works
//! with what the province sent.

use sea_orm::sea_query::{Alias, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use xinfang_domain::reference::ReferenceError;
use xinfang_events::Payload;
use xinfang_events::consumer::HandlerError;
use xinfang_platform::reference::ReferenceStore;

/// A kind of update the province sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    Calendar,
    Organisation,
}

impl Update {
    /// Both, in the order a start lays them over the files.
    pub const ALL: [Update; 2] = [Update::Calendar, Update::Organisation];

    /// What the update is, as its table and the operators' messages name it.
    fn name(self) -> &'static str {
        match self {
            Update::Calendar => "calendar",
            Update::Organisation => "organisation",
        }
    }

    fn table(self, service: &str) -> Alias {
        Alias::new(format!("{service}_{}_update", self.name()))
    }

    fn text_column(self) -> &'static str {
        match self {
            Update::Calendar => "calendar_toml",
            Update::Organisation => "org_toml",
        }
    }

    fn apply(
        self,
        reference: &ReferenceStore,
        version: &str,
        text: &str,
    ) -> Result<(), ReferenceError> {
        match self {
            Update::Calendar => reference.apply_calendar(version, text),
            Update::Organisation => reference.apply_organisation(version, text),
        }
    }
}

/// An update the exchange announced, if `payload` is one: laid over the reference data and kept,
/// in the transaction of the event's inbox row. One that does not load is parked. Whether the
/// payload was an update.
pub async fn follow(
    txn: &impl ConnectionTrait,
    service: &str,
    reference: &ReferenceStore,
    payload: Option<&Payload>,
) -> Result<bool, HandlerError> {
    let (update, version, text) = match payload {
        Some(Payload::CalendarPublished(c)) => (Update::Calendar, &c.version, &c.calendar_toml),
        Some(Payload::OrganisationPublished(o)) => (Update::Organisation, &o.version, &o.org_toml),
        _ => return Ok(false),
    };
    update
        .apply(reference, version, text)
        .map_err(|e| HandlerError::Permanent(format!("{} {version}: {e}", update.name())))?;
    keep(txn, service, update, version, text).await?;
    Ok(true)
}

/// Keeps update `version` (once), in the caller's transaction; the caller has laid it over the
/// reference data, which refuses an invalid text.
pub async fn keep(
    txn: &impl ConnectionTrait,
    service: &str,
    update: Update,
    version: &str,
    text: &str,
) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table(update.table(service))
        .columns(["version", update.text_column(), "received_at"])
        .values_panic([version.into(), text.into(), chrono::Utc::now().into()])
        .on_conflict(OnConflict::column("version").do_nothing().to_owned())
        .to_owned();
    txn.execute(&insert).await?;
    Ok(())
}

/// Lays every kept update of `kinds` over the reference data, in the order they came; returns
/// how many.
pub async fn restore(
    db: &DatabaseConnection,
    service: &str,
    reference: &ReferenceStore,
    kinds: &[Update],
) -> anyhow::Result<usize> {
    let mut restored = 0;
    for &update in kinds {
        let select = Query::select()
            .column("version")
            .expr_as(
                sea_orm::sea_query::Expr::col(update.text_column()),
                Alias::new("text"),
            )
            .from(update.table(service))
            .order_by("received_at", sea_orm::Order::Asc)
            .to_owned();
        let backend = db.get_database_backend();
        for row in db.query_all_raw(backend.build(&select)).await? {
            let version: String = row.try_get("", "version")?;
            let text: String = row.try_get("", "text")?;
            update.apply(reference, &version, &text).map_err(|e| {
                anyhow::anyhow!("{service}_{}_update {version}: {e}", update.name())
            })?;
            restored += 1;
        }
    }
    Ok(restored)
}
