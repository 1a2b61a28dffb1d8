//! The province's own calls at the hub (hub role): its clerks assign an item to a node (省交办),
//! send a holiday calendar or a code table down to the city nodes below them, a node its
//! organisation, and read the summary of those nodes (全省汇总). What they send waits in each node's queue (`queue`).

use crate::hub::Hub;
use crate::mapping::TABLES;
use crate::queue::{self, Assigned};
use crate::records::province_code;
use crate::{storage, summary};
use std::collections::BTreeSet;
use tonic::{Request, Response, Status};
use xinfang_domain::clock::Calendar;
use xinfang_domain::reference::{OrgTree, OrgUnit, ReferenceData, Source, UnitKind};
use xinfang_domain::region::{RegionCode, RegionLevel};
use xinfang_domain::{Reason, Refusal};
use xinfang_platform::auth::{Caller, caller};
use xinfang_platform::error::refused;
use xinfang_proto::xinfang::exchange::v1::down_record::Record as Down;
use xinfang_proto::xinfang::exchange::v1::*;

impl Hub {
    /// A node below the caller's unit (the province assigns downward only).
    fn node_below(&self, caller: &Caller, node: &str) -> Result<RegionCode, Status> {
        let node =
            RegionCode::parse(node).map_err(|e| refused(&Refusal::field("node_region_code", e)))?;
        let below = self
            .reference
            .current()
            .org
            .unit(&caller.org_unit)
            .is_some_and(|u| u.region != node && u.region.contains(&node));
        if !below {
            return Err(refused(&Refusal::new(
                Reason::OutOfScope,
                format!("node {node} is not below {}", caller.org_unit),
            )));
        }
        Ok(node)
    }

    pub(crate) async fn assign(
        &self,
        request: Request<AssignItemRequest>,
    ) -> Result<Response<DownRecord>, Status> {
        self.serving()?;
        let caller = caller(&request)?;
        let r = request.into_inner();
        let node = self.node_below(&caller, &r.node_region_code)?;
        if r.idempotency_key.trim().is_empty() {
            return Err(refused(&Refusal::field("idempotency_key", "required")));
        }
        let item = check_assignment(&self.reference.current(), &node, r.item.as_ref())
            .map_err(|e| refused(&e))?;
        match queue::assign(&self.db, &self.vault, &node, r.idempotency_key.trim(), item)
            .await
            .map_err(storage)?
        {
            Assigned::New(record) | Assigned::Again(record) => Ok(Response::new(masked(record))),
            Assigned::OtherNode(other) => Err(refused(&Refusal::new(
                Reason::IdempotencyKeyReused,
                format!("the idempotency key was used for node {other}"),
            ))),
        }
    }

    pub(crate) async fn nodes(
        &self,
        request: Request<ListNodesRequest>,
    ) -> Result<Response<ListNodesResponse>, Status> {
        self.serving()?;
        let caller = caller(&request)?;
        let reference = self.reference.current();
        let nodes = nodes_below(&reference, &caller)?;
        let nodes = summary::nodes(&self.db, &nodes).await.map_err(storage)?;
        Ok(Response::new(ListNodesResponse { nodes }))
    }

    pub(crate) async fn calendar(
        &self,
        request: Request<PublishCalendarRequest>,
    ) -> Result<Response<PublishResponse>, Status> {
        self.serving()?;
        let caller = caller(&request)?;
        let r = request.into_inner();
        let version = check_version(&r.version)?;
        // The province sends only what a node can load.
        Calendar::parse(Source {
            name: "calendar_toml",
            text: &r.calendar_toml,
        })
        .map_err(|e| refused(&Refusal::field("calendar_toml", e.to_string())))?;
        let record = Down::CalendarUpdate(CalendarUpdate {
            version: version.to_owned(),
            calendar_toml: r.calendar_toml.clone(),
        });
        self.publish(&caller, &format!("calendar:{version}"), record)
            .await
    }

    pub(crate) async fn organisation(
        &self,
        request: Request<PublishOrganisationRequest>,
    ) -> Result<Response<PublishResponse>, Status> {
        self.serving()?;
        let caller = caller(&request)?;
        let r = request.into_inner();
        let node = self.node_below(&caller, &r.node_region_code)?;
        let version = check_version(&r.version)?.to_owned();
        // The province sends only what the node can load: its own organisation, whole.
        let tree = OrgTree::parse(Source {
            name: "org_toml",
            text: &r.org_toml,
        })
        .map_err(|e| refused(&Refusal::field("org_toml", e.to_string())))?;
        if tree.node_region() != Some(&node) {
            return Err(refused(&Refusal::field(
                "org_toml",
                format!("its [node] region is not {node}"),
            )));
        }
        let key = format!("organisation:{version}");
        let record = Down::OrganisationUpdate(OrganisationUpdate {
            version,
            org_toml: r.org_toml,
        });
        let queued = queue::publish(&self.db, &self.vault, node.as_str(), &key, record)
            .await
            .map_err(storage)?;
        Ok(Response::new(PublishResponse {
            node_region_codes: if queued {
                vec![node.to_string()]
            } else {
                Vec::new()
            },
        }))
    }

    pub(crate) async fn code_table(
        &self,
        request: Request<CodeMapping>,
    ) -> Result<Response<PublishResponse>, Status> {
        self.serving()?;
        let caller = caller(&request)?;
        let table = request.into_inner();
        let version = check_version(&table.version)?.to_owned();
        if !TABLES.contains(&table.table.as_str()) {
            return Err(refused(&Refusal::field(
                "table",
                format!("{:?} is not one of {}", table.table, TABLES.join(", ")),
            )));
        }
        if table.local_to_province.is_empty()
            || table.local_to_province.iter().any(|(l, p)| {
                l.trim().is_empty() || p.trim().is_empty() || l.len() > 64 || p.len() > 64
            })
        {
            return Err(refused(&Refusal::field(
                "local_to_province",
                "codes of 1 to 64 characters, at least one",
            )));
        }
        let key = format!("mapping:{}:{version}", table.table);
        self.publish(&caller, &key, Down::CodeTableUpdate(table))
            .await
    }
}

/// The petition office of city node `region` in the province's tree, if there is one.
pub(crate) fn node_office<'a>(reference: &'a ReferenceData, region: &str) -> Option<&'a OrgUnit> {
    city_offices(reference).find(|u| u.region.as_str() == region)
}

/// Every city node's petition office in the province's tree.
fn city_offices(reference: &ReferenceData) -> impl Iterator<Item = &OrgUnit> {
    reference
        .org
        .units()
        .filter(|u| u.kind == UnitKind::PetitionOffice && u.level() == RegionLevel::City)
}

/// The city nodes below the caller's unit: their petition offices in the province's tree.
fn nodes_below<'a>(
    reference: &'a ReferenceData,
    caller: &Caller,
) -> Result<Vec<&'a OrgUnit>, Status> {
    let Some(own) = reference.org.unit(&caller.org_unit) else {
        return Err(refused(&Refusal::new(
            Reason::UnknownUnit,
            format!("{} is not a unit of the province", caller.org_unit),
        )));
    };
    Ok(city_offices(reference)
        .filter(|u| u.region != own.region && own.region.contains(&u.region))
        .collect())
}

/// An assigned item's own fields, before it is queued.
fn check_assignment(
    province: &ReferenceData,
    node: &RegionCode,
    item: Option<&ExchangeItem>,
) -> Result<ExchangeItem, Refusal> {
    let Some(item) = item else {
        return Err(Refusal::field("item", "required"));
    };
    let channel = province_code(&item.channel);
    if !province.channels.iter().any(|c| c.province_code == channel) {
        return Err(Refusal::field(
            "item.channel.province",
            format!("{channel:?} is not in the province's channel table"),
        ));
    }
    match RegionCode::parse(province_code(&item.region)) {
        Ok(r) if node.contains(&r) => {}
        Ok(r) => {
            return Err(Refusal::field(
                "item.region.province",
                format!("{r} is not within node {node}"),
            ));
        }
        Err(e) => return Err(Refusal::field("item.region.province", e)),
    }
    if province_code(&item.content_category).is_empty() {
        return Err(Refusal::field("item.content_category.province", "required"));
    }
    if item.content.trim().is_empty() {
        return Err(Refusal::field("item.content", "required"));
    }
    if item.petitioners.is_empty() {
        return Err(Refusal::field(
            "item.petitioners",
            "at least one petitioner",
        ));
    }
    Ok(item.clone())
}

/// The record as its sender reads it back: the petitioners' numbers masked (they travel in full
/// to the node only).
fn masked(mut record: DownRecord) -> DownRecord {
    if let Some(Down::Assignment(item)) = record.record.as_mut() {
        queue::mask(item);
    }
    record
}

/// A version of what the province publishes: 1 to 64 characters.
fn check_version(version: &str) -> Result<&str, Status> {
    let version = version.trim();
    if version.is_empty() || version.len() > 64 {
        return Err(refused(&Refusal::field(
            "version",
            "required, at most 64 characters",
        )));
    }
    Ok(version)
}

impl Hub {
    /// Queues `record` once under `key` for every city node below the caller.
    async fn publish(
        &self,
        caller: &Caller,
        key: &str,
        record: Down,
    ) -> Result<Response<PublishResponse>, Status> {
        let reference = self.reference.current();
        let nodes: BTreeSet<String> = nodes_below(&reference, caller)?
            .iter()
            .map(|u| u.region.to_string())
            .collect();
        let mut queued = Vec::new();
        for node in nodes {
            if queue::publish(&self.db, &self.vault, &node, key, record.clone())
                .await
                .map_err(storage)?
            {
                queued.push(node);
            }
        }
        Ok(Response::new(PublishResponse {
            node_region_codes: queued,
        }))
    }
}
