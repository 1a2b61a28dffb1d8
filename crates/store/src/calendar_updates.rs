//! 节假日安排更新: the holiday calendars the province sent down (through the exchange's events),
//! as a service that counts days keeps them in `<service>_calendar_update` — written in the
//! transaction of the event's inbox row, laid over the reference data at once, and laid over it
//! again at every start, so a restart counts with what the province sent.

use sea_orm::sea_query::{Alias, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use xinfang_events::consumer::HandlerError;
use xinfang_platform::reference::ReferenceStore;
use xinfang_proto::xinfang::events::v1::CalendarPublished;

fn table(service: &str) -> Alias {
    Alias::new(format!("{service}_calendar_update"))
}

/// A calendar the exchange announced: laid over the reference data and kept, in the
/// transaction of the event's inbox row. One that does not load is parked.
pub async fn follow(
    txn: &impl ConnectionTrait,
    service: &str,
    reference: &ReferenceStore,
    c: &CalendarPublished,
) -> Result<(), HandlerError> {
    reference
        .apply_calendar(&c.version, &c.calendar_toml)
        .map_err(|e| HandlerError::Permanent(format!("calendar {}: {e}", c.version)))?;
    keep(txn, service, &c.version, &c.calendar_toml).await?;
    Ok(())
}

/// Keeps the calendar `version` (once), in the caller's transaction; the caller has laid it
/// over the reference data (`ReferenceStore::apply_calendar`), which refuses an invalid text.
async fn keep(
    txn: &impl ConnectionTrait,
    service: &str,
    version: &str,
    text: &str,
) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table(table(service))
        .columns(["version", "calendar_toml", "received_at"])
        .values_panic([version.into(), text.into(), chrono::Utc::now().into()])
        .on_conflict(OnConflict::column("version").do_nothing().to_owned())
        .to_owned();
    txn.execute(&insert).await?;
    Ok(())
}

/// Lays every kept calendar over the reference data, in the order they came; returns how many.
pub async fn restore(
    db: &DatabaseConnection,
    service: &str,
    reference: &ReferenceStore,
) -> anyhow::Result<usize> {
    let select = Query::select()
        .columns(["version", "calendar_toml"])
        .from(table(service))
        .order_by("received_at", sea_orm::Order::Asc)
        .to_owned();
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(backend.build(&select)).await?;
    for row in &rows {
        let version: String = row.try_get("", "version")?;
        let text: String = row.try_get("", "calendar_toml")?;
        reference
            .apply_calendar(&version, &text)
            .map_err(|e| anyhow::anyhow!("{service}_calendar_update {version}: {e}"))?;
    }
    Ok(rows.len())
}
