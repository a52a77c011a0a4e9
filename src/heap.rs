//! tapc's global allocator (installed by `main.rs`): small blocks in size
//! classes, with a free list per class and thread, cut from chunks of the
//! system allocator.
//!
//! Lowering builds a tree of small vectors and strings per stack and frees it
//! when the stack is measured or written: about 5,000 allocations and frees
//! for the reference program's `tapc check`. glibc's malloc keeps seven freed
//! blocks a size in its per-thread cache and sends the rest through its bins,
//! about 160 instructions a call here, 0.85 M of that check's 2.8 M
//! instructions; this takes a dozen (BENCHMARKS.md, Start-up).
//!
//! Blocks of at most `LARGEST` bytes, aligned to at most `GRAIN`, are never
//! given back to the system: a freed block goes on the freeing thread's list
//! for its class, which that thread's next allocation of the class takes. A
//! thread with more than two batches of a class on its list gives one to a
//! common pool, and a thread that exits gives it all it has; a thread whose
//! list is empty takes a batch from the pool before it cuts its chunk. So
//! memory moves to the threads that allocate (the lowering of a large
//! platform builds trees on threads of their own, which the main thread
//! frees; the language server lowers at every pause) rather than piling up in
//! a thread that only frees, or in the pool. Anything larger, or aligned
//! more, is the system allocator's.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// Classes are multiples of `GRAIN` bytes, up to `LARGEST`.
const GRAIN: usize = 16;
const CLASSES: usize = 32;
const LARGEST: usize = GRAIN * CLASSES;
/// What a thread takes from the system when its lists and chunk are empty.
const CHUNK: usize = 64 << 10;
/// Blocks move between a thread and the pool in batches of this many; a
/// thread keeps at most two batches a class.
const BATCH: usize = 256;

/// The allocator: `#[global_allocator] static HEAP: Classes = Classes;`.
pub struct Classes;

/// A thread's free lists, with about how many blocks each holds, and what is
/// left of its chunk. The first word of a free block points to the next on
/// its list; the second, in the first block of a batch in the pool, to the
/// next batch (a block is at least two words).
struct Local {
    head: [Cell<*mut u8>; CLASSES],
    count: [Cell<usize>; CLASSES],
    bump: Cell<*mut u8>,
    end: Cell<*mut u8>,
}

thread_local! {
    // `const` and without `Drop`: reachable as long as the thread runs, and
    // read without a check of its state.
    static LOCAL: Local = const {
        Local {
            head: [const { Cell::new(ptr::null_mut()) }; CLASSES],
            count: [const { Cell::new(0) }; CLASSES],
            bump: Cell::new(ptr::null_mut()),
            end: Cell::new(ptr::null_mut()),
        }
    };
    /// Gives the thread's lists and chunk to the pool when the thread exits.
    static EXIT: Exit = const { Exit };
}

/// What threads share: batches of free blocks of each class (a thread frees
/// what another allocated: the lowering's threads build trees the main
/// thread drops), and the chunks exited threads left, as addresses (a raw
/// pointer is not `Send`). Each is a stack linked through its blocks'
/// second words.
struct Pool {
    batches: [usize; CLASSES],
    chunks: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    batches: [0; CLASSES],
    chunks: 0,
});

/// The classes the pool has batches of, a bit each, read without the lock:
/// a thread whose list is empty takes a batch before it cuts more of its
/// chunk, or memory freed on one thread and given to the pool would wait
/// there while others take new chunks (the language server grew by a
/// quarter of a MiB an edit that way).
static POOLED: AtomicU32 = AtomicU32::new(0);

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    POOL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The `k`th word of a free block.
///
/// SAFETY: `block` is free (on a list or in a chunk's unused part) and
/// `GRAIN`-aligned, so it has two aligned words.
unsafe fn word(block: *mut u8, k: usize) -> *mut usize {
    unsafe { block.cast::<usize>().add(k) }
}

struct Exit;

impl Drop for Exit {
    fn drop(&mut self) {
        let mut pool = pool();
        LOCAL.with(|l| {
            for (c, batches) in pool.batches.iter_mut().enumerate() {
                let head = l.head[c].replace(ptr::null_mut());
                l.count[c].set(0);
                if !head.is_null() {
                    // SAFETY: `head` is a free block.
                    unsafe { *word(head, 1) = *batches };
                    *batches = head as usize;
                    POOLED.fetch_or(1 << c, Ordering::Relaxed);
                }
            }
            // A chunk's unused part goes to the pool if it can hold a block
            // of each class (a smaller one is lost: at most `LARGEST` bytes).
            // The thread's own destructors that run later and allocate take
            // a chunk of their own.
            let (bump, end) = (
                l.bump.replace(ptr::null_mut()),
                l.end.replace(ptr::null_mut()),
            );
            if end as usize - bump as usize >= LARGEST {
                // SAFETY: `bump` starts the chunk's unused part.
                unsafe {
                    *word(bump, 0) = end as usize;
                    *word(bump, 1) = pool.chunks;
                }
                pool.chunks = bump as usize;
            }
        });
    }
}

/// The class of a layout, if it is small.
fn class(layout: Layout) -> Option<usize> {
    (layout.size() <= LARGEST && layout.align() <= GRAIN)
        .then(|| (layout.size().max(1) - 1) / GRAIN)
}

impl Local {
    /// A block of class `c`: from the list, else from a batch of the pool,
    /// else from the chunk, else from another chunk.
    fn take(&self, c: usize) -> *mut u8 {
        let head = self.head[c].get();
        if !head.is_null() {
            // SAFETY: `head` is a free block.
            self.head[c].set(unsafe { *word(head, 0) } as *mut u8);
            self.count[c].set(self.count[c].get().saturating_sub(1));
            return head;
        }
        if POOLED.load(Ordering::Relaxed) & (1 << c) != 0 {
            if let Some(block) = self.adopt(c) {
                return block;
            }
        }
        let size = (c + 1) * GRAIN;
        let bump = self.bump.get();
        if self.end.get() as usize - bump as usize >= size {
            self.bump.set(bump.wrapping_add(size));
            return bump;
        }
        self.refill(c)
    }

    /// A block of class `c` from a batch of the pool, if it has one.
    #[cold]
    fn adopt(&self, c: usize) -> Option<*mut u8> {
        // Registers the thread's exit, once (the C library's thread-exit list
        // takes it, not ours). After the exit has run (a later destructor
        // allocating), what the thread frees stays on its lists.
        let _ = EXIT.try_with(|_| ());
        let mut pool = pool();
        let batch = pool.batches[c];
        if batch == 0 {
            return None;
        }
        // SAFETY: the first block of a batch links to the next batch.
        pool.batches[c] = unsafe { *word(batch as *mut u8, 1) };
        if pool.batches[c] == 0 {
            POOLED.fetch_and(!(1 << c), Ordering::Relaxed);
        }
        drop(pool);
        self.head[c].set(batch as *mut u8);
        // A batch a thread left at its exit may be shorter or longer: the
        // count only decides when to give blocks back.
        self.count[c].set(BATCH);
        Some(self.take(c))
    }

    /// A block of class `c` when the list and the chunk are empty: from the
    /// pool's batches, else from a chunk an exited thread left, else from a
    /// new chunk.
    #[cold]
    fn refill(&self, c: usize) -> *mut u8 {
        if let Some(block) = self.adopt(c) {
            return block;
        }
        let mut pool = pool();
        let chunk = pool.chunks as *mut u8;
        let pooled = (!chunk.is_null()).then(|| {
            // SAFETY: a chunk in the pool holds its end and the next chunk,
            // and is at least `LARGEST` long.
            unsafe {
                pool.chunks = *word(chunk, 1);
                (chunk, *word(chunk, 0) as *mut u8)
            }
        });
        drop(pool);
        let (start, end) = match pooled {
            Some(part) => part,
            None => {
                // SAFETY: a non-zero size and a valid alignment.
                let chunk =
                    unsafe { System.alloc(Layout::from_size_align_unchecked(CHUNK, GRAIN)) };
                if chunk.is_null() {
                    return chunk;
                }
                (chunk, chunk.wrapping_add(CHUNK))
            }
        };
        // What was left of the previous chunk is smaller than this class; it
        // stays unused.
        self.bump.set(start);
        self.end.set(end);
        self.take(c)
    }

    fn give(&self, c: usize, block: *mut u8) {
        // SAFETY: the block was just freed.
        unsafe { *word(block, 0) = self.head[c].get() as usize };
        self.head[c].set(block);
        let count = self.count[c].get() + 1;
        self.count[c].set(count);
        if count >= 2 * BATCH {
            self.spill(c);
        }
    }

    /// Gives the pool a batch of class `c`'s blocks.
    #[cold]
    fn spill(&self, c: usize) {
        let first = self.head[c].get();
        let mut last = first;
        let mut n = 1;
        // SAFETY: blocks on the list are free; the walk stops at its end.
        unsafe {
            while n < BATCH && *word(last, 0) != 0 {
                last = *word(last, 0) as *mut u8;
                n += 1;
            }
            self.head[c].set(*word(last, 0) as *mut u8);
            *word(last, 0) = 0;
            let mut pool = pool();
            *word(first, 1) = pool.batches[c];
            pool.batches[c] = first as usize;
            POOLED.fetch_or(1 << c, Ordering::Relaxed);
        }
        self.count[c].set(self.count[c].get() - n);
    }
}

// SAFETY: a small block is `GRAIN`-aligned (chunks are, and classes are
// multiples of it), holds its class's size, and is on no list while it is
// allocated; everything else is the system allocator's.
unsafe impl GlobalAlloc for Classes {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class(layout) {
            Some(c) => LOCAL.with(|l| l.take(c)),
            None => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match class(layout) {
            Some(c) => {
                let block = LOCAL.with(|l| l.take(c));
                if !block.is_null() {
                    unsafe { block.write_bytes(0, layout.size()) };
                }
                block
            }
            None => unsafe { System.alloc_zeroed(layout) },
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        match class(layout) {
            Some(c) => LOCAL.with(|l| l.give(c, block)),
            None => unsafe { System.dealloc(block, layout) },
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        // SAFETY: the caller gives a size that, rounded up to the alignment,
        // does not overflow.
        let new = unsafe { Layout::from_size_align_unchecked(size, layout.align()) };
        match (class(layout), class(new)) {
            (Some(a), Some(b)) if a == b => block,
            (None, None) => unsafe { System.realloc(block, layout, size) },
            _ => unsafe {
                let moved = self.alloc(new);
                if !moved.is_null() {
                    ptr::copy_nonoverlapping(block, moved, layout.size().min(size));
                    self.dealloc(block, layout);
                }
                moved
            },
        }
    }
}
