//! A JSON list read element by element, each handed on as soon as it is parsed, with the
//! reader's place kept at the element's index (`spans[5]`). What to do with an element is the
//! `Element` the list is given.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};

use super::reading::Reading;

/// What a list does with its elements: reads the next one from `seq`, and says whether there
/// was one.
pub(crate) trait Element<'a> {
    fn next<'de, A: SeqAccess<'de>>(
        &mut self,
        reading: &mut Reading<'a>,
        seq: &mut A,
    ) -> Result<bool, A::Error>;
}

/// A list named `name` in the reader's place, whose elements go to `element`; it gives the
/// element back when the list ends, with whatever it gathered.
pub(crate) struct List<'r, 'a, E> {
    pub(crate) reading: &'r mut Reading<'a>,
    pub(crate) name: &'static str,
    pub(crate) element: E,
}

impl<'de, 'a, E: Element<'a>> DeserializeSeed<'de> for List<'_, 'a, E> {
    type Value = E;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<E, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, 'a, E: Element<'a>> Visitor<'de> for List<'_, 'a, E> {
    type Value = E;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "a list `{}`", self.name)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<E, A::Error> {
        self.reading.place.enter(self.name);
        let mut index = 0;
        loop {
            self.reading.place.at(index);
            if !self.element.next(self.reading, &mut seq)? {
                break;
            }
            index += 1;
        }
        self.reading.place.leave();
        Ok(self.element)
    }
}
