//! The node's operators' view of its link: how far the hub acknowledged, the records with the
//! hub's verdict (the rejected ones to correct), and the code mappings the records carry.

use crate::entity::{down_record, link, up_record};
use crate::follow::{next_sequence, pending};
use crate::mapping::{Mapping, SentTables, TABLES};
use crate::records::remapped;
use prost::Message;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use tonic::{Request, Response, Status};
use xinfang_platform::reference::ReferenceStore;
use xinfang_proto::xinfang::exchange::v1::exchange_admin_service_server::ExchangeAdminService;
use xinfang_proto::xinfang::exchange::v1::*;

#[derive(Clone)]
pub struct Admin {
    pub db: DatabaseConnection,
    pub reference: ReferenceStore,
    pub sent: SentTables,
}

use crate::storage;
use xinfang_platform::database;

/// A list's page: after which number it starts (its token), and how many rows it holds.
struct Page {
    after: i64,
    size: usize,
}

impl Page {
    fn of(token: &str, size: i32) -> Result<Self, Status> {
        let after = match token.trim() {
            "" => 0,
            t => t
                .parse()
                .map_err(|_| Status::invalid_argument("page_token: not a token of this list"))?,
        };
        let size = match size {
            n if n <= 0 => 100,
            n => n.min(500),
        };
        Ok(Self {
            after,
            size: size as usize,
        })
    }

    /// Rows to read: one more than the page, to know whether another follows.
    fn limit(&self) -> u64 {
        self.size as u64 + 1
    }

    /// The page's rows, and the next page's token (empty at the end) by each row's `number`.
    fn cut<T>(&self, mut rows: Vec<T>, number: impl Fn(&T) -> i64) -> (Vec<T>, String) {
        let more = rows.len() > self.size;
        rows.truncate(self.size);
        let next = match (more, rows.last()) {
            (true, Some(last)) => number(last).to_string(),
            _ => String::new(),
        };
        (rows, next)
    }
}

#[tonic::async_trait]
impl ExchangeAdminService for Admin {
    async fn get_link_status(
        &self,
        _request: Request<GetLinkStatusRequest>,
    ) -> Result<Response<LinkStatus>, Status> {
        let row = link::Entity::find_by_id(1)
            .one(&self.db)
            .await
            .map_err(storage)?
            .ok_or_else(|| Status::failed_precondition("the exchange link row is missing"))?;
        Ok(Response::new(LinkStatus {
            last_sequence: row.last_sequence as u64,
            acknowledged_through: row.acknowledged_through as u64,
            pull_cursor: row.pull_cursor as u64,
            last_contact: row.last_contact.map(xinfang_events::envelope::timestamp),
            last_error: row.last_error,
        }))
    }

    async fn list_upload_records(
        &self,
        request: Request<ListUploadRecordsRequest>,
    ) -> Result<Response<ListUploadRecordsResponse>, Status> {
        let r = request.into_inner();
        let page = Page::of(&r.page_token, r.page_size)?;
        let mut query =
            up_record::Entity::find().filter(up_record::Column::Sequence.gt(page.after));
        if r.rejected_only {
            query = query.filter(up_record::Column::Status.eq("rejected"));
        }
        let rows = query
            .order_by_asc(up_record::Column::Sequence)
            .limit(page.limit())
            .all(&self.db)
            .await
            .map_err(storage)?;
        let (rows, next_page_token) = page.cut(rows, |r| r.sequence);
        Ok(Response::new(ListUploadRecordsResponse {
            next_page_token,
            records: rows
                .iter()
                .map(|r| RecordResult {
                    sequence: r.sequence as u64,
                    accepted: r.status == "accepted",
                    code: r.reject_code,
                    reason: if r.status == "pending" {
                        "waiting for the hub".into()
                    } else {
                        r.reason.clone()
                    },
                    province_number: r.province_number.clone(),
                })
                .collect(),
        }))
    }

    async fn list_down_records(
        &self,
        request: Request<ListDownRecordsRequest>,
    ) -> Result<Response<ListDownRecordsResponse>, Status> {
        let r = request.into_inner();
        let page = Page::of(&r.page_token, r.page_size)?;
        let rows = down_record::Entity::find()
            .filter(down_record::Column::Cursor.gt(page.after))
            .order_by_asc(down_record::Column::Cursor)
            .limit(page.limit())
            .all(&self.db)
            .await
            .map_err(storage)?;
        let (rows, next_page_token) = page.cut(rows, |r| r.cursor);
        Ok(Response::new(ListDownRecordsResponse {
            next_page_token,
            records: rows
                .iter()
                .map(|r| DownResult {
                    cursor: r.cursor as u64,
                    kind: r.kind.clone(),
                    province_number: r.province_number.clone(),
                    petition_id: r.petition_id.clone(),
                    case_number: r.case_number.clone(),
                    status: r.status.clone(),
                    reason: r.reason.clone(),
                    received_at: Some(xinfang_events::envelope::timestamp(r.received_at)),
                })
                .collect(),
        }))
    }

    async fn get_code_mapping(
        &self,
        request: Request<GetCodeMappingRequest>,
    ) -> Result<Response<CodeMapping>, Status> {
        let table = request.into_inner().table;
        if !TABLES.contains(&table.as_str()) {
            return Err(Status::invalid_argument(format!(
                "table: {table:?} is not one of {}",
                TABLES.join(", ")
            )));
        }
        let (reference, sent) = (self.reference.current(), self.sent.current());
        let mapping = Mapping {
            reference: &reference,
            sent: &sent,
        };
        Ok(Response::new(mapping.table(&table)))
    }

    async fn resend_record(
        &self,
        request: Request<ResendRecordRequest>,
    ) -> Result<Response<RecordResult>, Status> {
        let old = request.into_inner().sequence as i64;
        Ok(Response::new(self.resend(old).await?))
    }
}

impl Admin {
    /// The rejected record `old` made again from the current mapping, under the next number.
    async fn resend(&self, old: i64) -> Result<RecordResult, Status> {
        let txn = self.db.begin().await.map_err(storage)?;
        let row = up_record::Entity::find_by_id(old)
            .one(&txn)
            .await
            .map_err(storage)?
            .ok_or_else(|| Status::not_found(format!("no record {old}")))?;
        if row.status != "rejected" {
            return Err(Status::failed_precondition(format!(
                "record {old} is {}: only a rejected record is sent again",
                row.status
            )));
        }
        let record = UpRecord::decode(row.body.as_slice())
            .map_err(|e| storage(DbErr::Custom(format!("record {old} does not decode: {e}"))))?
            .record
            .ok_or_else(|| storage(DbErr::Custom(format!("record {old} is empty"))))?;
        let (reference, sent) = (self.reference.current(), self.sent.current());
        let mapping = Mapping {
            reference: &reference,
            sent: &sent,
        };
        let record = remapped(record, &mapping);
        let sequence = next_sequence(&txn).await.map_err(storage)?;
        let body = UpRecord {
            sequence: sequence as u64,
            record: Some(record),
            corrects: old as u64,
        }
        .encode_to_vec();
        pending(
            sequence,
            &row.petition_id,
            &row.case_number,
            &row.kind,
            body,
        )
        .into_active_model()
        .insert(&txn)
        .await
        .map_err(storage)?;
        let mut corrected = row.into_active_model();
        corrected.status = Set("corrected".into());
        corrected.reason = Set(format!("corrected by record {sequence}"));
        corrected.update(&txn).await.map_err(storage)?;
        database::commit(&self.db, txn).await.map_err(storage)?;
        Ok(RecordResult {
            sequence: sequence as u64,
            accepted: false,
            code: 0,
            reason: "waiting for the hub".into(),
            province_number: String::new(),
        })
    }
}
