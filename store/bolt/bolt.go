// Package bolt is the embedded backend of canaille: every object in one
// bbolt file.
//
// Layout: one bucket per kind of record, holding versioned JSON keyed by ID,
// and index buckets maintained in the same write transaction as the
// records they index (user names and emails case-insensitively, uid and gid
// numbers, group names, memberships in both directions, token and session
// values by the SHA-256 of the value, expiry times for cleaning). A "meta"
// bucket holds the file's format version and allocation counters.
//
// bbolt lets one process at a time open the file. Open fails after
// Config.Timeout with an error that says which process holds it.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"time"

	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/password"
)

// FormatVersion is the version of the file layout this package writes.
// Open migrates older files step by step and refuses newer ones.
const FormatVersion = 1

// Config says how to open a store.
type Config struct {
	// Path of the database file; created if missing (with mode 0600).
	Path string
	// Timeout bounds the wait for the file lock; default 1 s.
	Timeout time.Duration
	// POSIX drives the allocation of uid/gid numbers and the defaults of
	// home directories and shells.
	POSIX store.POSIXDefaults
	// Hasher hashes and verifies passwords; required.
	Hasher *password.Hasher
	// UpgradeHashes replaces a hash of another scheme (or older argon2id
	// parameters) after a successful Authenticate.
	UpgradeHashes bool
	// NoSync skips fsync on commit: for tests only; a crash may lose data.
	NoSync bool
	// ReadOnly opens the file with a shared lock and refuses writes.
	ReadOnly bool
	// Logger receives the store's warnings; nil discards them.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// initialMmapSize is the address space mapped at open: large, so that the
// file rarely needs a remap, which waits for every read transaction (a
// backup's included) and holds new ones meanwhile. It costs no memory.
const initialMmapSize = 1 << 30

// Store is the bbolt backend. It is safe for concurrent use.
type Store struct {
	db      *bbolt.DB
	cfg     Config
	now     func() time.Time
	log     *slog.Logger
	hasher  *password.Hasher
	decoded *decodeCache
	clients *clientCache
	// group coalesces the commits of concurrent OIDC writes (group.go).
	group group
}

var (
	_ store.Store     = (*Store)(nil)
	_ store.Importer  = (*Store)(nil)
	_ store.Backupper = (*Store)(nil)
)

// Bucket names.
var (
	bMeta         = []byte("meta")
	bUsers        = []byte("users")
	bUserName     = []byte("users_by_name")
	bUserEmail    = []byte("users_by_email")
	bUserUID      = []byte("users_by_uid")
	bPhotos       = []byte("photos")
	bGroups       = []byte("groups")
	bGroupName    = []byte("groups_by_name")
	bGroupGID     = []byte("groups_by_gid")
	bMemberUG     = []byte("member_user_group") // user\0group -> group name
	bMemberGU     = []byte("member_group_user") // group\0user -> user name
	bOwnerUG      = []byte("owner_user_group")  // user\0group -> group name
	bOwnerGU      = []byte("owner_group_user")  // group\0user -> user name
	bClients      = []byte("clients")
	bCodes        = []byte("codes")
	bCodeValue    = []byte("codes_by_value")   // digest -> id
	bCodeClient   = []byte("codes_by_client")  // client\0id
	bCodeSubject  = []byte("codes_by_subject") // subject\0id
	bTokens       = []byte("tokens")
	bTokenAccess  = []byte("tokens_by_access")  // digest -> id
	bTokenRefresh = []byte("tokens_by_refresh") // digest -> id
	bTokenClient  = []byte("tokens_by_client")  // client\0id
	bTokenSubject = []byte("tokens_by_subject") // subject\0id
	bTokenRequest = []byte("tokens_by_request") // request\0id
	bConsents     = []byte("consents")
	bConsentKey   = []byte("consents_by_subject_client") // subject\0client -> id
	bConsentCli   = []byte("consents_by_client")         // client\0id
	bSessions     = []byte("sessions")
	bSessionToken = []byte("sessions_by_token") // digest -> id
	bSessionUser  = []byte("sessions_by_user")  // user\0id
	bTickets      = []byte("tickets")
	bTicketToken  = []byte("tickets_by_token") // kind\0digest -> id
	bTicketUser   = []byte("tickets_by_user")  // user\0id
	bJTIs         = []byte("jtis")             // jti -> be64 expiry
	bKeys         = []byte("signing_keys")
	bExpiry       = []byte("expiry")     // be64 unix nanos, kind, \0, id
	bAudit        = []byte("audit")      // ID (hex unix nanos-random) -> event
	bAuditUser    = []byte("audit_user") // user ID\0event ID -> nothing
)

var allBuckets = [][]byte{bMeta, bUsers, bUserName, bUserEmail, bUserUID, bPhotos,
	bGroups, bGroupName, bGroupGID, bMemberUG, bMemberGU, bOwnerUG, bOwnerGU,
	bClients, bCodes, bCodeValue, bCodeClient, bCodeSubject, bTokens, bTokenAccess,
	bTokenRefresh, bTokenClient, bTokenSubject, bTokenRequest, bConsents,
	bConsentKey, bConsentCli, bSessions, bSessionToken, bSessionUser, bTickets,
	bTicketToken, bTicketUser, bJTIs, bKeys, bExpiry, bAudit, bAuditUser}

var (
	keyFormat  = []byte("format_version")
	keyNextUID = []byte("next_uid")
	keyNextGID = []byte("next_gid")
)

// ErrNewerFormat: the file was written by a newer canaille.
var ErrNewerFormat = errors.New("bolt: database written by a newer version of canaille")

// ErrNotDatabase: the file is not a canaille database.
var ErrNotDatabase = errors.New("bolt: not a canaille database")

// ErrInUse: another process holds the file.
var ErrInUse = errors.New("bolt: database in use")

// Open opens (creating if needed) the database file and migrates it to
// FormatVersion.
func (c Config) Open() (*Store, error) {
	if c.Path == "" {
		return nil, errors.New("bolt: no database path configured")
	}
	if c.Hasher == nil {
		return nil, errors.New("bolt: no password hasher configured")
	}
	if c.Timeout <= 0 {
		c.Timeout = time.Second
	}
	if c.POSIX == (store.POSIXDefaults{}) {
		c.POSIX = store.DefaultPOSIX()
	}
	if err := c.POSIX.Validate(); err != nil {
		return nil, fmt.Errorf("bolt: %w", err)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if err := checkExisting(c.Path); err != nil {
		return nil, err
	}
	db, err := bbolt.Open(c.Path, 0o600, &bbolt.Options{
		Timeout:      c.Timeout,
		NoSync:       c.NoSync,
		ReadOnly:     c.ReadOnly,
		FreelistType: bbolt.FreelistMapType,
		// The free-page list is rebuilt at open instead of being written
		// at every commit: after a large clean (a million expired
		// tokens) it holds hundreds of thousands of pages, and writing it
		// made each commit slow.
		NoFreelistSync:  true,
		InitialMmapSize: initialMmapSize,
	})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("%w: %s is locked by %s", ErrInUse, c.Path, lockHolder(c.Path))
		}
		if errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrVersionMismatch) || errors.Is(err, bolterrors.ErrChecksum) {
			return nil, fmt.Errorf("%w: %s: %v", ErrNotDatabase, c.Path, err)
		}
		return nil, fmt.Errorf("bolt: open %s: %w", c.Path, err)
	}
	s := &Store{db: db, cfg: c, now: c.Now, log: c.Logger, hasher: c.Hasher, decoded: newDecodeCache(), clients: newClientCache()}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.initialize(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// checkExisting refuses to open a non-empty file that is not a complete
// bbolt database, before bbolt maps it: bbolt trusts the file, and reading
// a page past the end of a truncated file kills the process (SIGBUS).
func checkExisting(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bolt: open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("bolt: open %s: %w", path, err)
	}
	if st.IsDir() {
		return fmt.Errorf("%w: %s is a directory", ErrNotDatabase, path)
	}
	if st.Size() == 0 {
		return nil
	}
	head := make([]byte, 128<<10)
	n, _ := io.ReadFull(f, head)
	m, ok := bestMeta(head[:n])
	if !ok {
		return fmt.Errorf("%w: %s is not a bbolt file (no valid meta page)", ErrNotDatabase, path)
	}
	if need := int64(m.pgid) * int64(m.pageSize); st.Size() < need {
		return fmt.Errorf("%w: %s is truncated: %d bytes, but its pages need %d", ErrNotDatabase, path, st.Size(), need)
	}
	return nil
}

// meta is what checkExisting reads of a bbolt meta page.
type meta struct {
	pageSize uint32
	pgid     uint64 // high water mark: pages [0, pgid) are in use
	txid     uint64
}

// bestMeta parses the two meta pages of a bbolt file (format version 2)
// and returns the valid one with the latest transaction, as bbolt does.
func bestMeta(head []byte) (meta, bool) {
	const pageHeader, checksumAt = 16, 56
	parse := func(off int) (meta, bool) {
		if off+pageHeader+checksumAt+8 > len(head) {
			return meta{}, false
		}
		b := head[off+pageHeader:]
		le := binary.LittleEndian
		if le.Uint32(b[0:]) != 0xED0CDAED || le.Uint32(b[4:]) != 2 {
			return meta{}, false
		}
		h := fnv.New64a()
		h.Write(b[:checksumAt])
		if h.Sum64() != le.Uint64(b[checksumAt:]) {
			return meta{}, false
		}
		m := meta{pageSize: le.Uint32(b[8:]), pgid: le.Uint64(b[40:]), txid: le.Uint64(b[48:])}
		return m, m.pageSize >= 512 && m.pageSize <= 64<<10
	}
	m0, ok0 := parse(0)
	pageSize := os.Getpagesize()
	if ok0 {
		pageSize = int(m0.pageSize)
	}
	m1, ok1 := parse(pageSize)
	switch {
	case ok0 && ok1 && m1.txid > m0.txid:
		return m1, true
	case ok0:
		return m0, true
	}
	return m1, ok1
}

// initialize creates the buckets of a new file, or checks the format of an
// existing one and migrates it.
func (s *Store) initialize() error {
	if s.cfg.ReadOnly {
		return s.db.View(func(tx *bbolt.Tx) error {
			v, err := formatOf(tx)
			if err != nil {
				return err
			}
			if v == 0 {
				return fmt.Errorf("%w: %s holds no canaille data", ErrNotDatabase, s.cfg.Path)
			}
			// An older format is fine: the next read-write open migrates it.
			return nil
		})
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		v, err := formatOf(tx)
		if err != nil {
			return err
		}
		if v == 0 { // new file
			v = FormatVersion
		}
		for v < FormatVersion {
			m, ok := migrations[v]
			if !ok {
				return fmt.Errorf("bolt: no migration from format %d", v)
			}
			s.log.Info("migrating database", "path", s.cfg.Path, "from", v, "to", v+1)
			if err := m(tx); err != nil {
				return fmt.Errorf("bolt: migrate format %d to %d: %w", v, v+1, err)
			}
			v++
		}
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("bolt: create bucket %s: %w", b, err)
			}
		}
		return tx.Bucket(bMeta).Put(keyFormat, be32(FormatVersion))
	})
}

// formatOf returns the format version of the file, 0 for an empty file.
func formatOf(tx *bbolt.Tx) (uint32, error) {
	meta := tx.Bucket(bMeta)
	if meta == nil {
		empty := true
		tx.ForEach(func([]byte, *bbolt.Bucket) error { empty = false; return nil })
		if !empty {
			return 0, fmt.Errorf("%w: it is a bbolt file without canaille's meta bucket", ErrNotDatabase)
		}
		return 0, nil
	}
	raw := meta.Get(keyFormat)
	if len(raw) != 4 {
		return 0, fmt.Errorf("%w: the format version is missing", ErrNotDatabase)
	}
	v := binary.BigEndian.Uint32(raw)
	if v > FormatVersion {
		return 0, fmt.Errorf("%w (format %d; this binary reads up to %d): upgrade canaille", ErrNewerFormat, v, FormatVersion)
	}
	return v, nil
}

// migrations[v] upgrades a file from format v to v+1 inside one write
// transaction. Format 1 is the first; later versions register here.
var migrations = map[uint32]func(*bbolt.Tx) error{}

// Close releases the file.
func (s *Store) Close() error { return s.db.Close() }

// Path returns the database file path.
func (s *Store) Path() string { return s.cfg.Path }

// Backup writes a consistent copy of the database to w without blocking
// readers or writers (one long read transaction).
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("bolt: backup: %w", err)
	}
	return n, nil
}

// Check verifies the consistency of the whole file (bbolt's page checks)
// and returns every problem found.
func (s *Store) Check() error {
	return s.db.View(func(tx *bbolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

// Size returns the size of the data file in bytes.
func (s *Store) Size() int64 {
	var n int64
	s.db.View(func(tx *bbolt.Tx) error { n = tx.Size(); return nil })
	return n
}

// view and update run fn in a transaction after checking ctx.
func (s *Store) view(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

func (s *Store) update(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.cfg.ReadOnly {
		return fmt.Errorf("bolt: %w: opened read-only", store.ErrReadOnly)
	}
	return s.db.Update(fn)
}

// record is the versioned envelope of every stored value.
const recordVersion = 1

func encode(v any) ([]byte, error) {
	if r, ok := v.(dataRecord); ok {
		return r.appendJSON([]byte{recordVersion})
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	// Prefix the version so that decoding can dispatch before parsing.
	return append([]byte{recordVersion}, b...), nil
}

func decode(raw []byte, v any) error {
	if len(raw) == 0 {
		return errors.New("bolt: empty record")
	}
	if raw[0] > recordVersion {
		return fmt.Errorf("%w: record version %d", ErrNewerFormat, raw[0])
	}
	var err error
	if r, ok := v.(selfDecoding); ok {
		err = r.UnmarshalJSON(raw[1:])
	} else {
		err = json.Unmarshal(raw[1:], v)
	}
	if err != nil {
		return fmt.Errorf("bolt: corrupt record: %w", err)
	}
	return nil
}

// selfDecoding is a record whose UnmarshalJSON decodes its bytes with
// json.Unmarshal, which checks them whole (the records with Data, see
// jsondata.go): decode hands it the bytes directly, instead of through
// json.Unmarshal, which would check them a first time. Token records are
// read several times by every refresh and introspection.
type selfDecoding interface {
	dataRecord
	json.Unmarshaler
}

func be32(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

func be64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// pair builds a composite index key a\0b.
func pair(a, b string) []byte {
	k := make([]byte, 0, len(a)+1+len(b))
	k = append(k, a...)
	k = append(k, 0)
	return append(k, b...)
}

// scanPrefix calls fn with the second part of every a\0b key of bucket b
// with first part a, and the value. fn must not modify the bucket.
func scanPrefix(b *bbolt.Bucket, a string, fn func(second string, v []byte) error) error {
	return scanPrefixC(b.Cursor(), a, fn)
}

// scanPrefixC is scanPrefix through a cursor of the bucket.
func scanPrefixC(c *bbolt.Cursor, a string, fn func(second string, v []byte) error) error {
	return scanKeys(c, pair(a, ""), fn)
}

// scanKeys calls fn with the rest of every key of c's bucket that starts
// with prefix, and the value. fn must not modify the bucket.
func scanKeys(c *bbolt.Cursor, prefix []byte, fn func(rest string, v []byte) error) error {
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(string(k[len(prefix):]), v); err != nil {
			return err
		}
	}
	return nil
}

// seconds of a prefix scan, collected (safe to modify the bucket after).
func seconds(b *bbolt.Bucket, a string) []string {
	var out []string
	scanPrefix(b, a, func(s string, _ []byte) error { out = append(out, s); return nil })
	return out
}
