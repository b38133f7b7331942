package ldif

// arena hands out the memory for the values of one record from a few large
// allocations rather than one or two per value. Everything it hands out
// has its capacity limited to its length, so appending to one value or
// values list reallocates instead of overwriting its neighbour.
type arena struct {
	bytes []byte   // backing array for value bytes
	lists [][]byte // backing array for one-element values lists

	usedBytes, usedLists int // handed out in the current record
	hintBytes, hintLists int // handed out in the previous record
}

const (
	minArenaBytes = 512      // smallest shared byte array
	maxArenaBytes = 64 << 10 // values from a quarter of this get their own array
	minArenaLists = 8
	maxArenaLists = 1024
)

// value returns a slice of n bytes for a value.
func (a *arena) value(n int) []byte {
	switch {
	case n == 0:
		return []byte{}
	case n >= maxArenaBytes/4:
		return make([]byte, n)
	}
	a.usedBytes += n
	if cap(a.bytes)-len(a.bytes) < n {
		a.bytes = make([]byte, 0, max(minArenaBytes, a.hintBytes, 2*n))
	}
	start := len(a.bytes)
	a.bytes = a.bytes[:start+n]
	return a.bytes[start : start+n : start+n]
}

// list returns a values list holding v.
func (a *arena) list(v []byte) [][]byte {
	a.usedLists++
	if len(a.lists) == cap(a.lists) {
		a.lists = make([][]byte, 0, max(minArenaLists, a.hintLists))
	}
	a.lists = append(a.lists, v)
	n := len(a.lists)
	return a.lists[n-1 : n : n]
}

// reset starts a new record: what the next record gets shares no backing
// array with what this one got, so a caller keeping one entry does not keep
// the next alive. The sizes of this record's arrays hint at the next's.
func (a *arena) reset() {
	a.hintBytes, a.hintLists = min(a.usedBytes, maxArenaBytes), min(a.usedLists, maxArenaLists)
	a.bytes, a.lists, a.usedBytes, a.usedLists = nil, nil, 0, 0
}
