//! A fresh PostgreSQL database per test, migrated. `XINFANG_TEST_PG` names the server
//! (default `postgres://postgres@127.0.0.1:5432`).

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};

pub struct TestDatabase {
    pub url: String,
    pub db: DatabaseConnection,
}

fn server() -> String {
    std::env::var("XINFANG_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Connection options without sqlx's statement log, which would drown the services' own logs.
fn quiet(url: String) -> ConnectOptions {
    let mut options = ConnectOptions::new(url);
    options.sqlx_logging(false);
    options
}

impl TestDatabase {
    pub async fn create() -> Self {
        let name = format!("xinfang_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(quiet(format!("{}/postgres", server())))
            .await
            .expect("PostgreSQL must be running for the integration tests (see README)");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let url = format!("{}/{name}", server());
        let db = Database::connect(quiet(url.clone()))
            .await
            .expect("connect test database");
        xinfang_migrations::migrate_all(&db)
            .await
            .expect("migrations apply on PostgreSQL");
        Self { url, db }
    }

    /// The database's URL through another port (a proxy in front of the server).
    pub fn url_through(&self, port: u16) -> String {
        let (server, name) = self.url.rsplit_once('/').expect("a database URL");
        let host = server.rsplit_once(':').map_or(server, |(host, _)| host);
        format!("{host}:{port}/{name}")
    }

    /// The server's address, for a proxy.
    pub fn server_address(&self) -> std::net::SocketAddr {
        let server = self.url.rsplit_once('/').expect("a database URL").0;
        let host_port = server.rsplit('@').next().unwrap_or(server);
        let host_port = host_port.trim_start_matches("postgres://");
        std::net::ToSocketAddrs::to_socket_addrs(host_port)
            .expect("the server's address")
            .next()
            .expect("an address")
    }

    /// Rows in `table` (a table of this schema, named by the test).
    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count query")
            .expect("a count row");
        row.try_get("", "n").expect("count column")
    }

    /// Whether `table` (with its WHERE) holds `n` rows within `seconds`.
    pub async fn reaches(&self, table: &str, n: i64, seconds: u64) -> bool {
        crate::eventually(seconds, || async {
            (self.count(table).await == n).then_some(())
        })
        .await
        .is_some()
    }

    /// Every text column of every row of `table`, for looking for data that must not be there.
    pub async fn dump(&self, table: &str) -> String {
        let rows = self
            .db
            .query_all_raw(Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT row_to_json(t)::text AS j FROM {table} t"),
            ))
            .await
            .expect("dump query");
        rows.iter()
            .map(|r| r.try_get::<String>("", "j").unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }
}
