//! The schema model (RFC 7643 §2, §4, §7): one table that drives validation, filters, PATCH,
//! projection and the `/Schemas` document, so no attribute is described twice.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Binary,
    Reference,
    Complex,
}

impl AttrType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Binary => "binary",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

impl Mutability {
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

impl Returned {
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

impl Uniqueness {
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

#[derive(Debug)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: AttrType,
    pub multi_valued: bool,
    pub description: &'static str,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical_values: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub sub_attributes: &'static [Attribute],
}

const fn attr(name: &'static str, ty: AttrType, description: &'static str) -> Attribute {
    Attribute {
        name,
        ty,
        multi_valued: false,
        description,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        returned: Returned::Default,
        uniqueness: Uniqueness::None,
        canonical_values: &[],
        reference_types: &[],
        sub_attributes: &[],
    }
}

const fn string(name: &'static str, description: &'static str) -> Attribute {
    attr(name, AttrType::String, description)
}

const fn complex(
    name: &'static str,
    description: &'static str,
    sub: &'static [Attribute],
) -> Attribute {
    Attribute {
        sub_attributes: sub,
        ..attr(name, AttrType::Complex, description)
    }
}

impl Attribute {
    const fn multi(self) -> Self {
        Attribute {
            multi_valued: true,
            ..self
        }
    }
    const fn required(self) -> Self {
        Attribute {
            required: true,
            ..self
        }
    }
    const fn case_exact(self) -> Self {
        Attribute {
            case_exact: true,
            ..self
        }
    }
    const fn mutability(self, mutability: Mutability) -> Self {
        Attribute { mutability, ..self }
    }
    const fn returned(self, returned: Returned) -> Self {
        Attribute { returned, ..self }
    }
    const fn unique(self) -> Self {
        Attribute {
            uniqueness: Uniqueness::Server,
            ..self
        }
    }
    const fn canonical(self, canonical_values: &'static [&'static str]) -> Self {
        Attribute {
            canonical_values,
            ..self
        }
    }
    const fn refs(self, reference_types: &'static [&'static str]) -> Self {
        Attribute {
            reference_types,
            ..self
        }
    }

    pub fn is_complex(&self) -> bool {
        self.ty == AttrType::Complex
    }

    /// Sub-attribute by name, case-insensitively (RFC 7643 §2.1).
    pub fn sub(&self, name: &str) -> Option<&'static Attribute> {
        find(self.sub_attributes, name)
    }
}

fn find(list: &'static [Attribute], name: &str) -> Option<&'static Attribute> {
    list.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

#[derive(Debug)]
pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [Attribute],
}

impl Schema {
    pub fn attribute(&self, name: &str) -> Option<&'static Attribute> {
        find(self.attributes, name)
    }
}

pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

// The sub-attributes that every plural attribute of RFC 7643 §2.4 shares.
const fn plural(types: &'static [&'static str], value: Attribute) -> [Attribute; 4] {
    [
        value,
        string(
            "display",
            "A human-readable name, primarily used for display purposes.",
        ),
        string("type", "A label indicating the attribute's function.").canonical(types),
        attr(
            "primary",
            AttrType::Boolean,
            "A Boolean value indicating the 'primary' or preferred attribute value.",
        ),
    ]
}

const EMAIL_SUB: [Attribute; 4] = plural(
    &["work", "home", "other"],
    string("value", "Email address for the User."),
);
const PHONE_SUB: [Attribute; 4] = plural(
    &["work", "home", "mobile", "fax", "pager", "other"],
    string("value", "Phone number of the User."),
);
const IMS_SUB: [Attribute; 4] = plural(
    &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
    string("value", "Instant messaging address for the User."),
);
const PHOTO_SUB: [Attribute; 4] = plural(
    &["photo", "thumbnail"],
    attr("value", AttrType::Reference, "URL of a photo of the User.").refs(&["external"]),
);
const ENTITLEMENT_SUB: [Attribute; 4] =
    plural(&[], string("value", "The value of an entitlement."));
const ROLE_SUB: [Attribute; 4] = plural(&[], string("value", "The value of a role."));
const X509_SUB: [Attribute; 4] = plural(
    &[],
    attr(
        "value",
        AttrType::Binary,
        "The value of an X.509 certificate.",
    ),
);

const NAME_SUB: [Attribute; 6] = [
    string("formatted", "The full name, formatted for display."),
    string("familyName", "The family name of the User."),
    string("givenName", "The given name of the User."),
    string("middleName", "The middle name(s) of the User."),
    string("honorificPrefix", "The honorific prefix(es) of the User."),
    string("honorificSuffix", "The honorific suffix(es) of the User."),
];

const ADDRESS_SUB: [Attribute; 8] = [
    string(
        "formatted",
        "The full mailing address, formatted for display.",
    ),
    string("streetAddress", "The full street address component."),
    string("locality", "The city or locality component."),
    string("region", "The state or region component."),
    string("postalCode", "The zip code or postal code component."),
    string("country", "The country name component."),
    string("type", "A label indicating the attribute's function.")
        .canonical(&["work", "home", "other"]),
    attr(
        "primary",
        AttrType::Boolean,
        "A Boolean value indicating the primary address.",
    ),
];

const USER_GROUP_SUB: [Attribute; 4] = [
    string("value", "The identifier of the User's group.").mutability(Mutability::ReadOnly),
    attr("$ref", AttrType::Reference, "The URI of the Group.")
        .refs(&["Group"])
        .mutability(Mutability::ReadOnly),
    string("display", "A human-readable name of the group.").mutability(Mutability::ReadOnly),
    string("type", "How the membership was derived.")
        .canonical(&["direct", "indirect"])
        .mutability(Mutability::ReadOnly),
];

const USER_ATTRIBUTES: [Attribute; 21] = [
    string(
        "userName",
        "Unique identifier for the User, issued by the provisioning client.",
    )
    .required()
    .unique(),
    complex("name", "The components of the User's real name.", &NAME_SUB),
    string(
        "displayName",
        "The name of the User, suitable for display to end-users.",
    ),
    string("nickName", "The casual way to address the User."),
    attr(
        "profileUrl",
        AttrType::Reference,
        "A URI of the User's online profile.",
    )
    .refs(&["external"]),
    string("title", "The User's title, such as \"Vice President\"."),
    string(
        "userType",
        "The relationship between the organization and the User.",
    ),
    string(
        "preferredLanguage",
        "The User's preferred written or spoken language.",
    ),
    string("locale", "The User's default location for localization."),
    string(
        "timezone",
        "The User's time zone in the IANA Time Zone database format.",
    ),
    attr(
        "active",
        AttrType::Boolean,
        "The User's administrative status.",
    ),
    string(
        "password",
        "The User's cleartext password; never stored or returned.",
    )
    .mutability(Mutability::WriteOnly)
    .returned(Returned::Never),
    complex("emails", "Email addresses for the User.", &EMAIL_SUB).multi(),
    complex("phoneNumbers", "Phone numbers for the User.", &PHONE_SUB).multi(),
    complex("ims", "Instant messaging addresses for the User.", &IMS_SUB).multi(),
    complex("photos", "URLs of photos of the User.", &PHOTO_SUB).multi(),
    complex(
        "addresses",
        "Physical mailing addresses for the User.",
        &ADDRESS_SUB,
    )
    .multi(),
    complex("groups", "The groups the User belongs to.", &USER_GROUP_SUB)
        .multi()
        .mutability(Mutability::ReadOnly),
    complex(
        "entitlements",
        "Entitlements of the User.",
        &ENTITLEMENT_SUB,
    )
    .multi(),
    complex("roles", "Roles of the User.", &ROLE_SUB).multi(),
    complex(
        "x509Certificates",
        "X.509 certificates of the User.",
        &X509_SUB,
    )
    .multi(),
];

const MANAGER_SUB: [Attribute; 3] = [
    string(
        "value",
        "The id of the SCIM resource representing the User's manager.",
    ),
    attr(
        "$ref",
        AttrType::Reference,
        "The URI of the manager's resource.",
    )
    .refs(&["User"]),
    string("displayName", "The displayName of the User's manager.")
        .mutability(Mutability::ReadOnly),
];

const ENTERPRISE_ATTRIBUTES: [Attribute; 6] = [
    string(
        "employeeNumber",
        "Numeric or alphanumeric identifier assigned to a person.",
    ),
    string("costCenter", "Identifies the name of a cost center."),
    string("organization", "Identifies the name of an organization."),
    string("division", "Identifies the name of a division."),
    string("department", "Identifies the name of a department."),
    complex("manager", "The User's manager.", &MANAGER_SUB),
];

const MEMBER_SUB: [Attribute; 4] = [
    string("value", "Identifier of the member of this Group.").mutability(Mutability::Immutable),
    attr(
        "$ref",
        AttrType::Reference,
        "The URI of the member resource.",
    )
    .refs(&["User", "Group"])
    .mutability(Mutability::Immutable),
    string("type", "The type of the member.")
        .canonical(&["User", "Group"])
        .mutability(Mutability::Immutable),
    string("display", "A human-readable name of the member.").mutability(Mutability::ReadOnly),
];

const GROUP_ATTRIBUTES: [Attribute; 2] = [
    string("displayName", "A human-readable name for the Group.")
        .required()
        .unique(),
    complex("members", "A list of members of the Group.", &MEMBER_SUB).multi(),
];

pub static USER_SCHEMA: Schema = Schema {
    id: USER_URN,
    name: "User",
    description: "User Account",
    attributes: &USER_ATTRIBUTES,
};

pub static ENTERPRISE_USER_SCHEMA: Schema = Schema {
    id: ENTERPRISE_USER_URN,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &ENTERPRISE_ATTRIBUTES,
};

pub static GROUP_SCHEMA: Schema = Schema {
    id: GROUP_URN,
    name: "Group",
    description: "Group",
    attributes: &GROUP_ATTRIBUTES,
};

const META_SUB: [Attribute; 5] = [
    string(
        "resourceType",
        "The name of the resource type of the resource.",
    )
    .case_exact()
    .mutability(Mutability::ReadOnly),
    attr(
        "created",
        AttrType::DateTime,
        "When the resource was added.",
    )
    .mutability(Mutability::ReadOnly),
    attr(
        "lastModified",
        AttrType::DateTime,
        "When the resource was last changed.",
    )
    .mutability(Mutability::ReadOnly),
    attr("location", AttrType::Reference, "The URI of the resource.")
        .case_exact()
        .mutability(Mutability::ReadOnly),
    string("version", "The version (ETag) of the resource.")
        .case_exact()
        .mutability(Mutability::ReadOnly),
];

/// RFC 7643 §3.1: attributes every resource has, outside any schema document.
pub static COMMON_ATTRIBUTES: [Attribute; 3] = [
    string(
        "id",
        "Unique identifier for the resource, assigned by the service provider.",
    )
    .case_exact()
    .mutability(Mutability::ReadOnly)
    .returned(Returned::Always)
    .unique(),
    string(
        "externalId",
        "Identifier of the resource as defined by the provisioning client.",
    )
    .case_exact(),
    complex("meta", "Resource metadata.", &META_SUB).mutability(Mutability::ReadOnly),
];

#[derive(Debug)]
pub struct ResourceType {
    pub name: &'static str,
    pub endpoint: &'static str,
    pub description: &'static str,
    pub schema: &'static Schema,
    /// Extensions the server knows, with whether they are required.
    pub extensions: &'static [(&'static Schema, bool)],
}

pub static USER: ResourceType = ResourceType {
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: &USER_SCHEMA,
    extensions: &[(&ENTERPRISE_USER_SCHEMA, false)],
};

pub static GROUP: ResourceType = ResourceType {
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: &GROUP_SCHEMA,
    extensions: &[],
};

pub static RESOURCE_TYPES: [&ResourceType; 2] = [&USER, &GROUP];

pub static ALL_SCHEMAS: [&Schema; 3] = [&USER_SCHEMA, &GROUP_SCHEMA, &ENTERPRISE_USER_SCHEMA];

/// Whether a key is schema-qualified (`urn:...`), without slicing inside a UTF-8 character.
pub fn is_urn(key: &str) -> bool {
    key.len() > 4 && key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
}

/// Where an attribute lives: in the core schema (top-level key) or inside an extension object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Container {
    Core,
    /// A known extension; its canonical URN.
    Extension(&'static str),
    /// An extension this server has no schema for (e.g. an Entra custom extension); the URN as
    /// sent. Stored losslessly, but without validation.
    Custom(String),
}

/// A path resolved against a resource type: the canonical attribute it names.
#[derive(Debug, Clone)]
pub struct ResolvedAttr {
    pub container: Container,
    /// `None` only for custom extensions, whose attributes are unknown.
    pub attr: Option<&'static Attribute>,
    pub name: String,
}

impl ResolvedAttr {
    pub fn is_multi(&self) -> bool {
        self.attr.is_some_and(|a| a.multi_valued)
    }
    pub fn case_exact(&self) -> bool {
        self.attr.is_some_and(|a| a.case_exact)
    }
}

impl ResourceType {
    /// Finds a known extension schema by URN, case-insensitively.
    pub fn extension(&self, urn: &str) -> Option<&'static Schema> {
        self.extensions
            .iter()
            .map(|(s, _)| *s)
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// Whether `urn` names this resource's core schema.
    pub fn is_core_urn(&self, urn: &str) -> bool {
        self.schema.id.eq_ignore_ascii_case(urn)
    }

    /// Resolves an attribute name, optionally qualified with a schema URN, to its canonical
    /// definition. Common attributes (`id`, `externalId`, `meta`) resolve in the core.
    pub fn resolve(&self, urn: Option<&str>, name: &str) -> Option<ResolvedAttr> {
        match urn {
            None => self.resolve_core(name),
            Some(u) if self.is_core_urn(u) => self.resolve_core(name),
            Some(u) => match self.extension(u) {
                Some(schema) => schema.attribute(name).map(|a| ResolvedAttr {
                    container: Container::Extension(schema.id),
                    attr: Some(a),
                    name: a.name.to_string(),
                }),
                None => Some(ResolvedAttr {
                    container: Container::Custom(u.to_string()),
                    attr: None,
                    name: name.to_string(),
                }),
            },
        }
    }

    fn resolve_core(&self, name: &str) -> Option<ResolvedAttr> {
        let attr = self
            .schema
            .attribute(name)
            .or_else(|| find(&COMMON_ATTRIBUTES, name))?;
        Some(ResolvedAttr {
            container: Container::Core,
            attr: Some(attr),
            name: attr.name.to_string(),
        })
    }

    /// Whether a whole key names a schema URN (an extension object key, or the core URN).
    pub fn schema_urn_key(&self, key: &str) -> Option<&'static str> {
        if self.is_core_urn(key) {
            return Some(self.schema.id);
        }
        self.extension(key).map(|s| s.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_case_insensitively_to_canonical_names() {
        let r = USER.resolve(None, "USERNAME").unwrap();
        assert_eq!(r.name, "userName");
        let r = USER
            .resolve(
                Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"),
                "DEPARTMENT",
            )
            .unwrap();
        assert_eq!(r.container, Container::Extension(ENTERPRISE_USER_URN));
        assert_eq!(r.name, "department");
        assert!(USER.resolve(None, "nonsense").is_none());
    }
}
