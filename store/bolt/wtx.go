package bolt

import (
	"bytes"
	"maps"
	"slices"

	bbolt "go.etcd.io/bbolt"
)

// wtx is the write side of a transaction as the insert and membership code
// sees it. Direct, it writes through to bbolt. Buffered (Import), it keeps
// the writes in memory and flushes each bucket in key order at the end:
// bbolt splits a node only at commit, so many random-order puts in one
// transaction cost time quadratic in their number, while ordered puts
// append.
type wtx struct {
	tx      *bbolt.Tx
	buf     map[string]map[string][]byte // bucket -> key -> value; nil: direct
	decoded *decodeCache                 // read transactions: decoded users
	// cursors are the cursors of a read transaction, one per top-level
	// bucket: bbolt opens a bucket again at each Tx.Bucket of a read-only
	// transaction, and each Bucket.Get makes a new cursor (and grows its
	// stack); a listing reads two buckets per user.
	cursors [4]namedCursor // in use up to the first with no name
}

type namedCursor struct {
	name string
	c    *bbolt.Cursor
}

// cursor returns a cursor on the top-level bucket name (nil if there is
// none): in a read transaction, the one it keeps for that bucket, which
// get also uses, so that a caller iterating with it must not call get on
// the same bucket meanwhile. Write transactions get a new one each time:
// they may delete and create buckets.
func (w *wtx) cursor(name []byte) *bbolt.Cursor {
	if w.tx.Writable() {
		if b := w.tx.Bucket(name); b != nil {
			return b.Cursor()
		}
		return nil
	}
	for i := range w.cursors {
		nc := &w.cursors[i]
		if nc.name == string(name) {
			return nc.c
		}
		if nc.name == "" {
			nc.name = string(name)
			if b := w.tx.Bucket(name); b != nil {
				nc.c = b.Cursor()
			}
			return nc.c
		}
	}
	if b := w.tx.Bucket(name); b != nil { // more buckets than kept
		return b.Cursor()
	}
	return nil
}

func direct(tx *bbolt.Tx) *wtx { return &wtx{tx: tx} }

func buffered(tx *bbolt.Tx) *wtx { return &wtx{tx: tx, buf: map[string]map[string][]byte{}} }

func (w *wtx) get(b, k []byte) []byte {
	if w.buf != nil {
		if v, ok := w.buf[string(b)][string(k)]; ok {
			if v == nil {
				return []byte{}
			}
			return v
		}
	}
	if w.tx.Writable() {
		return w.tx.Bucket(b).Get(k)
	}
	c := w.cursor(b)
	if c == nil {
		return nil
	}
	// Like Bucket.Get: nil for a missing key and for a nested bucket.
	if ck, v := c.Seek(k); bytes.Equal(ck, k) {
		return v
	}
	return nil
}

func (w *wtx) put(b, k, v []byte) error {
	if w.buf == nil {
		return w.tx.Bucket(b).Put(k, v)
	}
	m := w.buf[string(b)]
	if m == nil {
		m = map[string][]byte{}
		w.buf[string(b)] = m
	}
	m[string(k)] = v
	return nil
}

func (w *wtx) del(b, k []byte) error {
	if w.buf != nil {
		delete(w.buf[string(b)], string(k))
	}
	return w.tx.Bucket(b).Delete(k)
}

// seconds lists the second parts of the a\0b keys of bucket b. Buffered
// writes are not seen: Import only scans the memberships of groups it
// creates, which have none committed.
func (w *wtx) seconds(b []byte, a string) []string { return seconds(w.tx.Bucket(b), a) }

// flush writes the buffered puts, bucket by bucket, in key order. Pages
// filled by ordered puts are packed (bbolt's default of half-full pages
// suits random inserts).
func (w *wtx) flush() error {
	for _, name := range slices.Sorted(maps.Keys(w.buf)) {
		b := w.tx.Bucket([]byte(name))
		b.FillPercent = appendFill
		m := w.buf[name]
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if err := b.Put([]byte(k), m[k]); err != nil {
				return err
			}
		}
	}
	w.buf = nil
	return nil
}

// appending returns bucket b of tx for writes whose keys mostly come after
// every key already there (time-ordered IDs and the indexes that start
// with them): its pages are packed when they split, instead of bbolt's
// default of half-full pages that suits random inserts. Each level of a
// B+tree is rewritten by every commit that touches it, so denser pages
// make both the file and each commit smaller.
func appending(tx *bbolt.Tx, b []byte) *bbolt.Bucket {
	bk := tx.Bucket(b)
	bk.FillPercent = appendFill
	return bk
}

// appendFill is the fill of the pages of appending buckets.
const appendFill = 0.9

// appendingRecords is appending for a bucket of large records, the tokens
// (about 950 bytes with their key and element header): pages split at 90 %
// of 4 KiB take three of them and stay 69 % full, while split at the page
// size they take four, 93 % full. The 10 % slack that lets an index page
// take a few late keys without splitting could not take a record anyway.
func appendingRecords(tx *bbolt.Tx, b []byte) *bbolt.Bucket {
	bk := tx.Bucket(b)
	bk.FillPercent = 1
	return bk
}
