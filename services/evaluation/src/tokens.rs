//! The one-time evaluation token of an SMS link: 20 characters without look-alikes (about 99
//! bits, never guessed), kept only as its SHA-256; the SMS with the clear token waits in
//! `evaluation_sms` for the gateway, written in the same transaction as the token's hash.

use crate::entity::sms;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::NotSet, ConnectionTrait, DbErr, EntityTrait, Set};
use sha2::{Digest, Sha256};
use xinfang_domain::evaluation::Stage;
use xinfang_platform::codes;

const LENGTH: usize = 20;

/// A fresh token, and its hash.
pub fn issue() -> (String, String) {
    let token = codes::generate(LENGTH);
    let hash = hash(&token);
    (token, hash)
}

/// The hash a token is kept as, typed as people type it.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(codes::typed(token).as_bytes()))
}

/// Queues the SMS that carries `token` to the petitioner of `petition_id`.
pub async fn queue_sms(
    db: &impl ConnectionTrait,
    petition_id: &str,
    stage: Stage,
    case_number: &str,
    token: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let body = format!(
        "您的信访事项（{case_number}）已出具{}，请凭查询码和评价码 {token} 对办理情况进行满意度评价。",
        stage.label()
    );
    sms::Entity::insert(sms::ActiveModel {
        id: NotSet,
        petition_id: Set(petition_id.to_owned()),
        stage: Set(stage.as_str().to_owned()),
        body: Set(body),
        created_at: Set(at),
        sent_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_distinct_and_hashed_as_typed() {
        let (token, hashed) = issue();
        assert_eq!(token.len(), LENGTH);
        assert_ne!(issue().0, token);
        assert_eq!(hash(&token.to_lowercase()), hashed);
        assert_eq!(hashed.len(), 64);
    }
}
