//! gorbit-scim: a SCIM 2.0 service provider (RFC 7643, RFC 7644) over one SQLite file.

pub mod scim;
