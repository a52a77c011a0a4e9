//! tapc's allocator (`src/heap.rs`), installed here as in `tapc` itself.

use std::alloc::{GlobalAlloc, Layout};

#[global_allocator]
static HEAP: tapc::heap::Classes = tapc::heap::Classes;

/// Every small class and a few large sizes: blocks hold what is written to
/// them while others are allocated and freed, and do not overlap.
#[test]
fn blocks_keep_their_contents() {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    for round in 0..4u8 {
        for size in (1..=600).chain([4096, 70_000]) {
            blocks.push(vec![round ^ (size as u8); size]);
        }
        // Free every other block, so that the next round reuses them.
        let mut k = 0;
        blocks.retain(|_| {
            k += 1;
            k % 2 == 0
        });
    }
    for b in &blocks {
        assert!(
            b.iter().all(|&x| x == b[0]),
            "a block of {} changed",
            b.len()
        );
    }
}

#[test]
fn realloc_keeps_contents_across_classes_and_zeroed_is_zero() {
    let mut s = String::new();
    for i in 0..10_000 {
        s.push(char::from(b'a' + (i % 26) as u8));
    }
    assert!(s
        .bytes()
        .enumerate()
        .all(|(i, b)| b == b'a' + (i % 26) as u8));
    s.truncate(40);
    s.shrink_to_fit();
    assert_eq!(&s[..3], "abc");
    for size in [1, 16, 17, 512, 513, 100_000] {
        let layout = Layout::from_size_align(size, 8).expect("a layout");
        // SAFETY: a non-zero size; the block is freed with its layout.
        unsafe {
            let p = HEAP.alloc(layout);
            p.write_bytes(0xff, size);
            HEAP.dealloc(p, layout);
            let z = HEAP.alloc_zeroed(layout);
            assert!((0..size).all(|i| *z.add(i) == 0), "{size} bytes not zeroed");
            HEAP.dealloc(z, layout);
        }
    }
    let aligned = Layout::from_size_align(64, 64).expect("a layout");
    // SAFETY: as above.
    unsafe {
        let p = HEAP.alloc(aligned);
        assert_eq!(p as usize % 64, 0);
        HEAP.dealloc(p, aligned);
    }
}

/// Runs `round` `warm` times, then `rounds` times more, and asserts that
/// the process's resident memory grew by at most `slack` MiB over the
/// latter. Tests that measure it take turns, so that one does not count
/// what another allocates.
fn stays_flat(warm: usize, rounds: usize, slack: usize, mut round: impl FnMut()) {
    static MEASURING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _alone = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let resident_mib = || {
        let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux's /proc");
        let pages: usize = statm
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .expect("resident pages");
        pages * 4096 / (1 << 20)
    };
    (0..warm).for_each(|_| round());
    let before = resident_mib();
    (0..rounds).for_each(|_| round());
    let after = resident_mib();
    assert!(
        after <= before + slack,
        "resident memory grew from {before} to {after} MiB"
    );
}

/// Blocks freed on another thread than their own, and threads that exit
/// with full lists: the memory is reused, not leaked (the language server
/// lowers large platforms on threads at every pause).
#[test]
fn threads_that_exit_leave_their_memory_for_others() {
    let round = || {
        let made: Vec<Vec<String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..2)
                .map(|t| {
                    scope.spawn(move || {
                        // About 6 MiB of small blocks a thread.
                        (0..100_000)
                            .map(|i| format!("{t}-{i}-{}", "x".repeat(i % 90)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no panic"))
                .collect()
        });
        // Freed here, on this thread, after their threads exited.
        assert_eq!(made.iter().map(Vec::len).sum::<usize>(), 200_000);
    };
    // Leaked, 30 rounds would take some 360 MiB more.
    stays_flat(1, 30, 60, round);
}

/// Destructors that run after a thread has given its memory to the pool,
/// and allocate, must not take what it gave: another thread gets it. (A
/// POSIX thread-specific value's destructor runs after the thread's Rust
/// thread-locals', the allocator's among them.)
#[test]
fn allocations_after_a_threads_exit_are_its_own() {
    use std::sync::Mutex;
    // Blocks of 496 bytes, a class the other tests here barely use: what the
    // late destructor allocated, as addresses.
    const SIZE: usize = 496;
    static LATE: Mutex<Vec<usize>> = Mutex::new(Vec::new());
    extern "C" fn late(_: *mut libc::c_void) {
        let blocks: Vec<usize> = (0..32)
            .map(|_| Box::leak(vec![0xAAu8; SIZE].into_boxed_slice()).as_ptr() as usize)
            .collect();
        LATE.lock().expect("not poisoned").extend(blocks);
    }
    let mut key: libc::pthread_key_t = 0;
    // SAFETY: `key` is written by pthread_key_create; `late` takes any value.
    assert_eq!(unsafe { libc::pthread_key_create(&mut key, Some(late)) }, 0);
    std::thread::spawn(move || {
        drop(vec![0u8; SIZE]);
        // SAFETY: a key just created; the value is only a non-null marker.
        unsafe { libc::pthread_setspecific(key, std::ptr::dangling::<libc::c_void>()) };
    })
    .join()
    .expect("no panic");
    let late = LATE.lock().expect("not poisoned").clone();
    assert_eq!(late.len(), 32);
    // Another thread takes the pool's memory, and fills it.
    let mine: Vec<Box<[u8]>> = std::thread::spawn(|| {
        (0..2_000)
            .map(|_| vec![0x55u8; SIZE].into_boxed_slice())
            .collect()
    })
    .join()
    .expect("no panic");
    for &b in &late {
        // SAFETY: leaked above, never freed.
        let block = unsafe { std::slice::from_raw_parts(b as *const u8, SIZE) };
        assert!(block.iter().all(|&x| x == 0xAA), "a block was given twice");
    }
    drop(mine);
}

/// Memory freed in bulk and given to the pool is taken before new chunks,
/// also by a thread that still has room in its chunk (the language server
/// frees a tree at every pause, then builds the next one).
#[test]
fn memory_given_to_the_pool_is_taken_before_new_chunks() {
    // Blocks of a size that is never freed take new chunks now and then;
    // blocks of another are made and freed in bulk, 5,000 a round.
    let mut kept: Vec<Box<[u8]>> = Vec::new();
    let round = || {
        let made: Vec<Box<[u8]>> = (0..5_000)
            .map(|i| {
                if i % 50 == 0 {
                    kept.push(vec![2u8; 440].into_boxed_slice());
                }
                vec![1u8; 100].into_boxed_slice()
            })
            .collect();
        drop(made);
    };
    // 200 rounds keep 8.6 MiB; the freed blocks, not taken again, would take
    // some 100 MiB more.
    stays_flat(20, 200, 30, round);
}
