//! 查询码: the code a petitioner tracks an item with. Twelve characters without look-alikes,
//! about 60 bits: unguessable with the rate limit of public calls.

const LENGTH: usize = 12;

pub fn generate() -> String {
    xinfang_platform::codes::generate(LENGTH)
}
