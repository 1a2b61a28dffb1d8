//! Conversions between stored rows, domain types and wire messages. Reads never carry an ID or
//! phone number in clear: only their masks.

use crate::entity::{petition, petitioner};
use serde::{Deserialize, Serialize};
use xinfang_domain::lifecycle::State;
use xinfang_domain::petition::Attachment;
use xinfang_domain::screening::Flag;
use xinfang_proto::convert::route_to_wire;
use xinfang_proto::xinfang::intake::v1::Petition;
use xinfang_proto::xinfang::petition::v1 as pb;

/// A flag as stored in the petition row's JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredFlag {
    pub kind: String,
    pub explanation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related_petition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed_route: Option<String>,
}

impl From<&Flag> for StoredFlag {
    fn from(flag: &Flag) -> Self {
        Self {
            kind: pb::FlagKind::from(flag.kind).as_str_name().to_owned(),
            explanation: flag.explanation.clone(),
            related_petition: flag.related_petition.clone(),
            proposed_route: flag.proposed_route.clone(),
        }
    }
}

impl StoredFlag {
    pub fn to_wire(&self) -> pb::ScreeningFlag {
        pb::ScreeningFlag {
            kind: pb::FlagKind::from_str_name(&self.kind).unwrap_or_default() as i32,
            explanation: self.explanation.clone(),
            related_petition_id: self.related_petition.clone().unwrap_or_default(),
            proposed_route: self
                .proposed_route
                .as_deref()
                .map(route_to_wire)
                .unwrap_or_default() as i32,
        }
    }
}

pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    xinfang_events::envelope::timestamp(t)
}

/// A petitioner as clerks see them: name in full, numbers masked.
pub fn petitioner_to_wire(p: &petitioner::Model) -> pb::Petitioner {
    pb::Petitioner {
        name: p.name.clone(),
        id_type: pb::IdType::from_str_name(&p.id_type).unwrap_or_default() as i32,
        id_number: p.id_number_masked.clone().unwrap_or_default(),
        phone: p.phone_masked.clone().unwrap_or_default(),
        address: p.address.clone(),
        region_code: p.region_code.clone(),
        representative: p.representative,
    }
}

pub fn petition_to_wire(p: &petition::Model, petitioners: &[petitioner::Model]) -> Petition {
    let flags: Vec<StoredFlag> = serde_json::from_str(&p.flags).unwrap_or_default();
    let state = State::parse(&p.state)
        .map(pb::PetitionState::from)
        .unwrap_or_default();
    Petition {
        id: p.id.clone(),
        case_number: p.case_number.clone(),
        kind: pb::ItemKind::from_str_name(&p.kind).unwrap_or_default() as i32,
        state: state as i32,
        channel_code: p.channel_code.clone(),
        registering_unit: p.registering_unit.clone(),
        region_code: p.region_code.clone(),
        content_category: p.content_category.clone(),
        title: p.title.clone(),
        content: p.content.clone(),
        petitioners: petitioners.iter().map(petitioner_to_wire).collect(),
        headcount: p.headcount,
        agent: p
            .agent
            .as_deref()
            .and_then(|a| serde_json::from_str::<AgentJson>(a).ok())
            .map(Into::into),
        attachments: serde_json::from_str::<Vec<AttachmentJson>>(&p.attachments)
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect(),
        flags: flags.iter().map(StoredFlag::to_wire).collect(),
        linked_petition_id: p.linked_petition_id.clone().unwrap_or_default(),
        first_time_here: p.first_time_here,
        first_time_anywhere: p.first_time_anywhere,
        petitioned_at: Some(timestamp(p.petitioned_at)),
        registered_at: Some(timestamp(p.registered_at)),
        triage_deadline: None,
        registered_by: p.registered_by.clone(),
        province_number: p.province_number.clone(),
    }
}

/// The agent as stored (phone masked: the agent's number is personal data too).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentJson {
    pub name: String,
    pub phone_masked: String,
    pub organisation: String,
    pub relation: String,
}

impl From<AgentJson> for pb::Agent {
    fn from(a: AgentJson) -> Self {
        pb::Agent {
            name: a.name,
            phone: a.phone_masked,
            organisation: a.organisation,
            relation: a.relation,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttachmentJson {
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub storage_uri: String,
}

impl From<&Attachment> for AttachmentJson {
    fn from(a: &Attachment) -> Self {
        Self {
            file_name: a.file_name.clone(),
            media_type: a.media_type.clone(),
            size_bytes: i64::try_from(a.size_bytes).unwrap_or(i64::MAX),
            sha256: a.sha256.clone(),
            storage_uri: a.storage_uri.clone(),
        }
    }
}

impl From<AttachmentJson> for pb::Attachment {
    fn from(a: AttachmentJson) -> Self {
        pb::Attachment {
            file_name: a.file_name,
            media_type: a.media_type,
            size_bytes: a.size_bytes,
            sha256: a.sha256,
            storage_uri: a.storage_uri,
        }
    }
}
