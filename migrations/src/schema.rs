//! Small helpers every service's migrations use.

use sea_orm_migration::prelude::*;

/// A plain (non-unique) index on `cols` of `table`.
pub async fn create_index(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
    cols: &[&str],
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(Alias::new(table));
    for col in cols {
        index.col(Alias::new(*col));
    }
    manager.create_index(index.to_owned()).await
}
