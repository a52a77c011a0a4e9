//! The syntax tree: every node carries its byte span; literals are already values
//! with units (durations in milliseconds, sizes in bytes).

use std::borrow::Cow;

use crate::diag::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Ident<'a> {
    pub name: &'a str,
    pub span: Span,
}

#[derive(Debug, Default, PartialEq)]
pub struct File<'a> {
    pub items: Vec<Item<'a>>,
}

#[derive(Debug, PartialEq)]
pub struct Item<'a> {
    pub kind: ItemKind<'a>,
    /// The item's keyword, e.g. `service`.
    pub keyword: Span,
    pub span: Span,
}

#[derive(Debug, PartialEq)]
pub enum ItemKind<'a> {
    Param {
        name: Ident<'a>,
        ty: Ident<'a>,
        default: Option<Value<'a>>,
    },
    Platform {
        name: Ident<'a>,
        body: Body<'a>,
    },
    Region {
        code: Ident<'a>,
        body: Body<'a>,
    },
    Service {
        name: Ident<'a>,
        kind: Ident<'a>,
        body: Body<'a>,
    },
    Replicate {
        service: Ident<'a>,
        regions: Vec<Ident<'a>>,
        body: Body<'a>,
    },
    Endpoint {
        name: Ident<'a>,
        body: Body<'a>,
    },
    Import {
        path: Value<'a>,
    },
    Schema {
        name: Ident<'a>,
        body: Body<'a>,
    },
    /// An item that did not parse (its syntax error is reported): its
    /// keyword and name, where the text starts with them. `Item::keyword` is
    /// the keyword's span, or an empty span where the item has none.
    Broken {
        keyword: Option<&'static str>,
        name: Option<Ident<'a>>,
    },
}

#[derive(Debug, Default, PartialEq)]
pub struct Body<'a> {
    pub attrs: Vec<Attr<'a>>,
    pub blocks: Vec<Block<'a>>,
    pub span: Span,
}

impl<'a> Body<'a> {
    pub fn attr(&self, name: &str) -> Option<&Attr<'a>> {
        self.attrs.iter().find(|a| a.name.name == name)
    }
    pub fn block(&self, name: &str) -> Option<&Block<'a>> {
        self.blocks.iter().find(|b| b.name.name == name)
    }
}

#[derive(Debug, PartialEq)]
pub struct Attr<'a> {
    pub name: Ident<'a>,
    pub value: Value<'a>,
}

#[derive(Debug, PartialEq)]
pub struct Block<'a> {
    pub name: Ident<'a>,
    pub body: Body<'a>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Value<'a> {
    pub kind: ValueKind<'a>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValueKind<'a> {
    Str(Vec<StrPart<'a>>),
    Int(i64),
    /// Milliseconds.
    Duration(u64),
    /// Bytes.
    Size(u64),
    Bool(bool),
    Cidr {
        addr: u32,
        prefix: u8,
    },
    Symbol(&'a str),
    List(Vec<Value<'a>>),
    Map(Vec<(MapKey<'a>, Value<'a>)>),
    /// A literal that did not make a value (its error is reported): the
    /// checker takes the attribute as set, to a value it does not know.
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StrPart<'a> {
    Text(Cow<'a, str>),
    Param(Ident<'a>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct MapKey<'a> {
    pub text: Cow<'a, str>,
    pub span: Span,
}

impl ValueKind<'_> {
    /// What a value is, in the words of a type error ("found a duration").
    pub fn describe(&self) -> &'static str {
        match self {
            ValueKind::Str(_) => "a string",
            ValueKind::Int(_) => "an integer",
            ValueKind::Duration(_) => "a duration",
            ValueKind::Size(_) => "a size",
            ValueKind::Bool(_) => "a boolean",
            ValueKind::Cidr { .. } => "a CIDR block",
            ValueKind::Symbol(_) => "a name",
            ValueKind::List(_) => "a list",
            ValueKind::Map(_) => "a map",
            ValueKind::Error => "a value that is not valid",
        }
    }
}
