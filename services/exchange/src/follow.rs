//! Numbering (node role): each event of this node's services that the province receives becomes
//! an upward record with the next number of the node's sequence, in the transaction of the
//! event's inbox row — so a number is given once per event, a rolled-back event gives none back
//! to a gap, and a redelivered event numbers nothing.

use crate::entity::up_record;
use crate::mapping::{Mapping, SentTables};
use crate::records;
use prost::Message;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QuerySelect, Statement,
};
use xinfang_events::consumer::{EventHandler, HandlerError};
use xinfang_events::{Envelope, Payload};
use xinfang_platform::reference::ReferenceStore;
use xinfang_proto::xinfang::exchange::v1::up_record::Record;
use xinfang_proto::xinfang::exchange::v1::{ExchangeItem, UpRecord};

pub struct Numbering {
    pub reference: ReferenceStore,
    pub sent: SentTables,
}

/// The next number of the node's sequence; the link's row stays locked until the transaction
/// ends, so two events never take the same number and a rollback leaves no gap.
pub(crate) async fn next_sequence(txn: &DatabaseTransaction) -> Result<i64, DbErr> {
    let row = txn
        .query_one_raw(Statement::from_string(
            txn.get_database_backend(),
            "UPDATE exchange_link SET last_sequence = last_sequence + 1 WHERE id = 1 \
             RETURNING last_sequence",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("exchange_link".into()))?;
    row.try_get("", "last_sequence")
}

/// The item's city number, as its registration's record holds it.
async fn case_number(txn: &DatabaseTransaction, petition: &str) -> Result<String, DbErr> {
    Ok(up_record::Entity::find()
        .select_only()
        .column(up_record::Column::CaseNumber)
        .filter(up_record::Column::PetitionId.eq(petition))
        .filter(up_record::Column::Kind.eq("item"))
        .into_tuple::<String>()
        .one(txn)
        .await?
        .unwrap_or_default())
}

/// The item as its registration's record holds it (codes mapped, petitioners masked): what a
/// transfer sends, before the pusher adds what only intake keeps.
async fn item(txn: &DatabaseTransaction, petition: &str) -> Result<ExchangeItem, HandlerError> {
    let body = up_record::Entity::find()
        .select_only()
        .column(up_record::Column::Body)
        .filter(up_record::Column::PetitionId.eq(petition))
        .filter(up_record::Column::Kind.eq("item"))
        .into_tuple::<Vec<u8>>()
        .one(txn)
        .await?
        .ok_or_else(|| {
            HandlerError::Permanent(format!(
                "petition {petition} is transferred, but its item was never numbered for the \
                 province"
            ))
        })?;
    match UpRecord::decode(body.as_slice()).map(|u| u.record) {
        Ok(Some(Record::Item(item))) => Ok(item),
        _ => Err(HandlerError::Permanent(format!(
            "the item record of petition {petition} does not decode"
        ))),
    }
}

/// A record numbered `sequence`, waiting for the hub.
pub(crate) fn pending(
    sequence: i64,
    petition: &str,
    case_number: &str,
    kind: &str,
    body: Vec<u8>,
) -> up_record::Model {
    up_record::Model {
        sequence,
        petition_id: petition.to_owned(),
        case_number: case_number.to_owned(),
        kind: kind.to_owned(),
        body,
        status: "pending".into(),
        reject_code: 0,
        reason: String::new(),
        province_number: String::new(),
        created_at: chrono::Utc::now(),
    }
}

impl EventHandler for Numbering {
    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        envelope: &Envelope,
    ) -> Result<(), HandlerError> {
        let (reference, sent) = (self.reference.current(), self.sent.current());
        let mapping = Mapping {
            reference: &reference,
            sent: &sent,
        };
        let Some(record) = records::record(envelope, &mapping) else {
            return Ok(());
        };
        // Looked up only for what the province receives: most events are not.
        let case_number = match &envelope.payload {
            Some(Payload::PetitionRegistered(e)) => e.case_number.clone(),
            _ => case_number(txn, &envelope.petition_id).await?,
        };
        let mut record = records::with_city(record, &case_number);
        if let Record::Transfer(transfer) = &mut record {
            transfer.item = Some(item(txn, &envelope.petition_id).await?);
        }
        let sequence = next_sequence(txn).await?;
        let kind = records::kind(&record);
        let body = UpRecord {
            sequence: sequence as u64,
            record: Some(record),
            corrects: 0,
        }
        .encode_to_vec();
        pending(sequence, &envelope.petition_id, &case_number, kind, body)
            .into_active_model()
            .insert(txn)
            .await?;
        Ok(())
    }
}
