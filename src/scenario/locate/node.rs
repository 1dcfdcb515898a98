//! One step of a walk down a `toml_edit` document: the kinds of node a path can reach.

use std::ops::Range;

use toml_edit::{Item, Key, Table, Value};

use super::PathPart;

/// A node reached while walking a path; arrays hold values while tables hold items.
#[derive(Clone, Copy)]
pub(super) enum Node<'document> {
    Item(&'document Item),
    Table(&'document Table),
    Value(&'document Value),
}

impl<'document> Node<'document> {
    pub(super) fn span(self) -> Option<Range<usize>> {
        match self {
            // An array of tables spans all its tables; its first header is the useful place.
            Node::Item(Item::ArrayOfTables(tables)) => tables.get(0).and_then(Table::span),
            Node::Item(item) => item.span(),
            Node::Table(table) => table.span(),
            Node::Value(value) => value.span(),
        }
    }

    /// The child under `part` with the span of its key, when the part is a key.
    pub(super) fn child(
        self,
        part: &PathPart,
    ) -> Option<(Option<&'document Key>, Node<'document>)> {
        match part {
            PathPart::Key(name) => {
                let (key, item) = match self {
                    Node::Item(item) => item.as_table_like()?.get_key_value(name)?,
                    Node::Table(table) => table.get_key_value(name)?,
                    Node::Value(value) => value.as_inline_table()?.get_key_value(name)?,
                };
                Some((Some(key), Node::Item(item)))
            }
            PathPart::Index(index) => {
                let child = match self {
                    Node::Item(Item::ArrayOfTables(tables)) => Node::Table(tables.get(*index)?),
                    Node::Item(Item::Value(Value::Array(array)))
                    | Node::Value(Value::Array(array)) => Node::Value(array.get(*index)?),
                    _ => return None,
                };
                Some((None, child))
            }
        }
    }

    /// Every child with its path part and key, in document order.
    pub(super) fn children(self) -> Vec<(PathPart, Option<&'document Key>, Node<'document>)> {
        let mut children = Vec::new();
        let table_like = match self {
            Node::Item(item) => item.as_table_like(),
            Node::Table(table) => Some(table as &dyn toml_edit::TableLike),
            Node::Value(value) => value
                .as_inline_table()
                .map(|table| table as &dyn toml_edit::TableLike),
        };
        if let Some(table) = table_like {
            for (name, _) in table.iter() {
                if let Some((key, item)) = table.get_key_value(name) {
                    children.push((PathPart::Key(name.to_owned()), Some(key), Node::Item(item)));
                }
            }
            return children;
        }
        match self {
            Node::Item(Item::ArrayOfTables(tables)) => {
                for (index, table) in tables.iter().enumerate() {
                    children.push((PathPart::Index(index), None, Node::Table(table)));
                }
            }
            Node::Item(Item::Value(Value::Array(array))) | Node::Value(Value::Array(array)) => {
                for (index, value) in array.iter().enumerate() {
                    children.push((PathPart::Index(index), None, Node::Value(value)));
                }
            }
            _ => {}
        }
        children
    }
}
