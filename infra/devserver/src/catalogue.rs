//! Every context's route table, in one list: what `make template` deploys
//! and what the OpenAPI document describes. A new context is one line here
//! (and one in [`crate::functions::REGISTRY`]).

use crm_http::{Access, Contract, Route};

/// What the generators need of a route (the handler is left behind).
#[derive(Debug, Clone, Copy)]
pub struct RouteInfo {
    pub key: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    pub access: Access,
    pub contract: Contract,
}

impl RouteInfo {
    pub fn method(&self) -> &'static str {
        self.key.split_once(' ').map_or("ANY", |(m, _)| m)
    }

    /// The path; `$default` for the API's default route.
    pub fn path(&self) -> &'static str {
        self.key.split_once(' ').map_or(self.key, |(_, p)| p)
    }

    pub fn public(&self) -> bool {
        self.access == Access::Public
    }
}

/// A context whose routes deploy together: its binary (the crate under
/// `functions/` that serves them) and its route table.
#[derive(Debug, Clone)]
pub struct Context {
    pub binary: &'static str,
    pub routes: Vec<RouteInfo>,
}

fn infos<S>(routes: &[Route<S>]) -> Vec<RouteInfo> {
    routes.iter().map(|r| RouteInfo { key: r.key, name: r.name, summary: r.summary, access: r.access, contract: r.contract }).collect()
}

/// The contexts, in the order their stacks are written.
pub fn contexts() -> Vec<Context> {
    vec![
        Context { binary: "platform", routes: infos(platform::ROUTES) },
        Context { binary: "identity", routes: infos(identity::ROUTES) },
        Context { binary: "notifications", routes: infos(notifications::ROUTES) },
        Context { binary: "records", routes: infos(records::ROUTES) },
        Context { binary: "activities", routes: infos(activities::ROUTES) },
        Context { binary: "approvals", routes: infos(approvals::ROUTES) },
        Context { binary: "deals", routes: infos(deals::ROUTES) },
        Context { binary: "inventory", routes: infos(inventory::ROUTES) },
        Context { binary: "maps", routes: infos(maps::ROUTES) },
        Context { binary: "billing", routes: infos(billing::ROUTES) },
    ]
}

/// Every route of every context.
pub fn routes() -> Vec<RouteInfo> {
    contexts().into_iter().flat_map(|c| c.routes).collect()
}
