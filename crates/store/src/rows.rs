//! Writing an aggregate's row the way every repository does, and the dates rows keep as text.

use crate::writes::Writes;
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, OnConflict, Query, UpdateStatement};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryTrait,
};

/// Writes `row` in the unit of work's transaction: inserted when `expected` is None (false if a
/// row with its key, or another unique key, exists), else updated only where `key` matches and
/// `version` is still `expected` (false when another writer moved it on). The update answers
/// the head of the aggregate's audit log too, which the unit of work would read next. Where
/// nobody can have taken the key since the change found it free (SQLite, in a transaction that
/// read the aggregate), the insert goes with the rows the change adds: one round trip fewer,
/// and another unique key taken fails the save.
pub async fn write_row<A>(
    writes: &mut Writes<'_>,
    row: A,
    key: Condition,
    version: <A::Entity as EntityTrait>::Column,
    expected: Option<i64>,
) -> Result<bool, DbErr>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
{
    match expected {
        Some(expected) => {
            let update = A::Entity::update_many()
                .set(row.reset_all())
                .filter(key)
                .filter(version.eq(expected))
                .into_query();
            update_guarded(writes, update).await
        }
        None if writes.new_rows_cannot_collide() => {
            writes.add_row(row);
            Ok(true)
        }
        None => {
            let inserted = A::Entity::insert(row)
                .on_conflict(OnConflict::new().do_nothing().to_owned())
                .exec_without_returning(writes.txn().await?)
                .await?;
            Ok(inserted == 1)
        }
    }
}

/// Runs `update`, an aggregate's row guarded by its version, and answers whether it changed a
/// row. The same statement reads the head of the aggregate's audit log for the unit of work
/// (a `RETURNING` subquery), which would otherwise cost a round trip of its own.
pub async fn update_guarded(
    writes: &mut Writes<'_>,
    mut update: UpdateStatement,
) -> Result<bool, DbErr> {
    let head = Expr::SubQuery(None, Box::new(writes.head_query().clone().into()));
    update.returning(Query::returning().expr(head));
    let Some(updated) = writes.txn().await?.query_one(&update).await? else {
        return Ok(false);
    };
    let head = updated.try_get_by_index::<Option<String>>(0)?;
    writes.read_head(head.unwrap_or_default());
    Ok(true)
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
