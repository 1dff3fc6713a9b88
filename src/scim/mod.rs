//! The SCIM protocol, free of HTTP and SQL: schema model, filters, paths, PATCH, resource
//! rendering, list parameters, discovery documents and the error type.

pub mod discovery;
pub mod error;
pub mod filter;
pub mod list;
pub mod patch;
pub mod path;
pub mod resource;
pub mod schema;
pub mod time;

pub use error::{ScimError, ScimResult, ScimType};

/// The case folding behind every case-insensitive comparison (`caseExact: false`), shared by
/// in-memory filters, the stored uniqueness keys and the SQL function used in queries.
pub fn fold_case(s: &str) -> String {
    s.to_lowercase()
}
