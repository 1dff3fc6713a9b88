//! gorbit-scim: a SCIM 2.0 service provider (RFC 7643, RFC 7644) over one SQLite file.

pub mod api;
pub mod cli;
pub mod cmd;
pub mod http;
pub mod scim;
pub mod store;
pub mod token;
