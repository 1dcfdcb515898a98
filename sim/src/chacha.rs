//! The `ChaCha8` keystream, one 64-byte block at a time.
//!
//! This is the block function of D. J. Bernstein's `ChaCha` with 8 rounds and his original
//! layout, the one `rand_chacha` uses: words 0–3 the constant, 4–11 the key, 12–13 a 64-bit
//! block counter (low word first) and 14–15 a 64-bit stream number. `rand_chacha` fills a
//! 4-block (256-byte) buffer with SIMD; generating a single block keeps a [`SimRng`] small
//! enough for an instance's hot state to stay in the cache, and yields the same words.
//!
//! The rounds are scalar, one word at a time. A block costs about 550 instructions against
//! about 100 for `rand_chacha`'s AVX2 refill (per block, of four), some 4% more instructions in
//! the whole chain benchmark, yet the scale benchmark at 1,000 services runs faster for the
//! smaller state. SIMD would need `unsafe` or a new dependency. SSE2 intrinsics without
//! pointers are safe only inside a `#[target_feature(enable = "sse2")]` function, and rustc
//! (1.95) makes the call into that function `unsafe` even though every `x86_64` target has
//! SSE2 (E0133); the workspace forbids `unsafe`. Such an SSE2 block costs about 250
//! instructions, still +1.6% on the chain benchmark. Written as rows of four lanes (`[u32; 4]`,
//! rounds unrolled) for the compiler to vectorize, it stays scalar: LLVM's SLP vectorizer
//! leaves all 128 rotations as scalar ones. Two blocks at a time would only double the buffer:
//! a scalar block costs the same either way.
//!
//! [`SimRng`]: crate::SimRng

/// "expand 32-byte k", the `ChaCha` constant, as four little-endian words.
const CONSTANT: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// Eight rounds are four double rounds (a column round and a diagonal round each).
const DOUBLE_ROUNDS: usize = 4;

/// The words of one block, as `u64` values: entry `i` is word `2i` in its low half and word
/// `2i + 1` in its high half, which is how `rand_core` reads a `u64` from a word stream.
pub(crate) type Block = [u64; 8];

/// The key, stream and position of one `ChaCha8` keystream.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ChaCha8 {
    key: [u32; 8],
    /// The block the next call to [`ChaCha8::next_block`] produces.
    counter: u64,
    stream: u64,
}

impl ChaCha8 {
    /// The keystream of a 32-byte key (read as eight little-endian words) and a stream number,
    /// from block 0.
    pub(crate) fn new(key_bytes: [u8; 32], stream: u64) -> Self {
        let mut key = [0u32; 8];
        for (word, bytes) in key.iter_mut().zip(key_bytes.chunks_exact(4)) {
            *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        ChaCha8 {
            key,
            counter: 0,
            stream,
        }
    }

    pub(crate) fn stream(&self) -> u64 {
        self.stream
    }

    /// The number of blocks produced so far.
    pub(crate) fn counter(&self) -> u64 {
        self.counter
    }

    /// The next block of the keystream. The counter wraps after 2^64 blocks, as `rand_chacha`'s
    /// does.
    pub(crate) fn next_block(&mut self) -> Block {
        let input = self.input();
        let mut state = input;
        for _ in 0..DOUBLE_ROUNDS {
            double_round(&mut state);
        }
        self.counter = self.counter.wrapping_add(1);
        let mut block = [0u64; 8];
        for (index, value) in block.iter_mut().enumerate() {
            let low = state[2 * index].wrapping_add(input[2 * index]);
            let high = state[2 * index + 1].wrapping_add(input[2 * index + 1]);
            *value = u64::from(low) | (u64::from(high) << 32);
        }
        block
    }

    /// The sixteen input words of the current block.
    fn input(&self) -> [u32; 16] {
        let [k0, k1, k2, k3, k4, k5, k6, k7] = self.key;
        let [c0, c1, c2, c3] = CONSTANT;
        [
            c0,
            c1,
            c2,
            c3,
            k0,
            k1,
            k2,
            k3,
            k4,
            k5,
            k6,
            k7,
            self.counter as u32,
            (self.counter >> 32) as u32,
            self.stream as u32,
            (self.stream >> 32) as u32,
        ]
    }
}

/// A column round then a diagonal round.
#[inline]
fn double_round(state: &mut [u32; 16]) {
    quarter_round(state, 0, 4, 8, 12);
    quarter_round(state, 1, 5, 9, 13);
    quarter_round(state, 2, 6, 10, 14);
    quarter_round(state, 3, 7, 11, 15);
    quarter_round(state, 0, 5, 10, 15);
    quarter_round(state, 1, 6, 11, 12);
    quarter_round(state, 2, 7, 8, 13);
    quarter_round(state, 3, 4, 9, 14);
}

#[inline]
fn quarter_round(state: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    state[a] = state[a].wrapping_add(state[b]);
    state[d] = (state[d] ^ state[a]).rotate_left(16);
    state[c] = state[c].wrapping_add(state[d]);
    state[b] = (state[b] ^ state[c]).rotate_left(12);
    state[a] = state[a].wrapping_add(state[b]);
    state[d] = (state[d] ^ state[a]).rotate_left(8);
    state[c] = state[c].wrapping_add(state[d]);
    state[b] = (state[b] ^ state[c]).rotate_left(7);
}

#[cfg(test)]
mod tests {
    use rand::{RngCore, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::ChaCha8;

    /// Blocks where the counter carries into its high word, and where it wraps to zero: the
    /// same words as `rand_chacha` positioned there.
    #[test]
    fn the_counter_carries_and_wraps_as_rand_chacha_does() {
        let key = [0x5a; 32];
        let stream = 0x0123_4567_89ab_cdef;
        for first_block in [u64::from(u32::MAX) - 1, u64::MAX - 1] {
            let mut ours = ChaCha8::new(key, stream);
            ours.counter = first_block;
            let mut theirs = ChaCha8Rng::from_seed(key);
            theirs.set_stream(stream);
            theirs.set_word_pos(u128::from(first_block) * 16);
            for _ in 0..3 {
                for value in ours.next_block() {
                    assert_eq!(value, theirs.next_u64(), "from block {first_block}");
                }
            }
        }
    }
}
