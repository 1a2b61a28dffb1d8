//! Writing an aggregate's row the way every repository does, and the dates rows keep as text.

use crate::writes::Writes;
use chrono::NaiveDate;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, Condition, DbErr, EntityTrait, QueryFilter,
};

/// Writes `row` in the unit of work's transaction: inserted when `expected` is None (false if a
/// row with its key, or another unique key, exists), else updated only where `key` matches and
/// `version` is still `expected` (false when another writer moved it on).
pub async fn write_row<A>(
    writes: &Writes<'_>,
    row: A,
    key: Condition,
    version: <A::Entity as EntityTrait>::Column,
    expected: Option<i64>,
) -> Result<bool, DbErr>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
{
    let txn = writes.txn().await?;
    let written = match expected {
        Some(expected) => {
            A::Entity::update_many()
                .set(row.reset_all())
                .filter(key)
                .filter(version.eq(expected))
                .exec(txn)
                .await?
                .rows_affected
        }
        None => {
            A::Entity::insert(row)
                .on_conflict(OnConflict::new().do_nothing().to_owned())
                .exec_without_returning(txn)
                .await?
        }
    };
    Ok(written == 1)
}

/// A date kept as `YYYY-MM-DD` text (ordered, and the same on PostgreSQL and SQLite).
pub fn date(value: &Option<String>) -> Result<Option<NaiveDate>, DbErr> {
    value
        .as_deref()
        .map(|d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| DbErr::Type(format!("stored date {d:?}")))
        })
        .transpose()
}

/// A date as its row keeps it.
pub fn text(date: Option<NaiveDate>) -> Option<String> {
    date.map(|d| d.to_string())
}

/// An aggregate kept whole as JSON in its row (beside the columns queries select by).
pub fn to_json<T: serde::Serialize>(state: &T) -> Result<String, DbErr> {
    serde_json::to_string(state).map_err(|e| DbErr::Custom(format!("storing state: {e}")))
}

/// The aggregate a row keeps as JSON; `what` names the row in the error.
pub fn from_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, DbErr> {
    serde_json::from_str(text).map_err(|e| DbErr::Type(format!("{what}: {e}")))
}
