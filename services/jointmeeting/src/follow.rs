//! Following intake: the node's items (their case numbers and regions), so that an agenda names
//! only real items and a meeting shows their numbers. A plain projection of intake's facts,
//! written in the transaction of the event's inbox row; a repeated event writes nothing. On a
//! node linked to the province, a calendar or organisation it sent is laid over the reference
//! data.

use crate::SERVICE;
use crate::entity::item;
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseTransaction, EntityTrait, Set};
use xinfang_events::consumer::{EventHandler, HandlerError};
use xinfang_events::{Envelope, Payload};
use xinfang_platform::reference::ReferenceStore;
use xinfang_store::reference_updates;

pub struct Items {
    pub reference: ReferenceStore,
}

impl EventHandler for Items {
    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        envelope: &Envelope,
    ) -> Result<(), HandlerError> {
        let reference = &self.reference;
        if reference_updates::follow(txn, SERVICE, reference, envelope.payload.as_ref()).await? {
            return Ok(());
        }
        let Some(Payload::PetitionRegistered(e)) = &envelope.payload else {
            return Ok(());
        };
        item::Entity::insert(item::ActiveModel {
            petition_id: Set(envelope.petition_id.clone()),
            case_number: Set(e.case_number.clone()),
            region_code: Set(e.region_code.clone()),
        })
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
        Ok(())
    }
}
