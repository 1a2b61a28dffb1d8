//! Personal-data hashes carry the id of their key (`kid:hex`), longer than the bare hex was.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite does not hold text to a length.
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for (table, column) in [
            ("intake_petition", "query_code_hash"),
            ("intake_petitioner", "id_number_hash"),
        ] {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ALTER COLUMN {column} TYPE VARCHAR(128)"
            ))
            .await?;
        }
        Ok(())
    }
}
