package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// RunBackup tests store.Backupper: a backup taken while writers run holds
// every object written before it started, and no secret value. reopen
// opens a store from the backup's bytes (registering its cleanup); when it
// is nil, only the checks that need no reopening run. RunBackup is skipped
// when the store does not implement store.Backupper.
func RunBackup(t *testing.T, s Suite, reopen func(t *testing.T, data []byte) store.Store) {
	s.requireFull(t)
	s.check(t)
	if _, ok := s.New(t).(store.Backupper); !ok {
		t.Skip("the store does not implement store.Backupper")
	}
	s.subtests(t, []subtest{
		{"Backup/WhileWriting", func(t *testing.T, st store.Store) { testBackupWhileWriting(t, st, reopen) }},
		{"Backup/NoSecrets", testBackupNoSecrets},
	})
}

// backupFixture writes one object of every kind, with known secret values.
func backupFixture(t *testing.T, st store.Store) (alice store.User, staff store.Group) {
	t.Helper()
	alice = mustCreateUserWithPassword(t, st, "alice", "alice's long password")
	bob := mustCreateUser(t, st, "bob")
	wantOK(t, st.SetUserPhoto(t.Context(), alice.ID, photoJPEG), "SetUserPhoto")
	staff = mustCreateGroupWith(t, st, store.Group{DisplayName: "staff", Members: refs(alice.ID, bob.ID), Owners: refs(alice.ID)})
	mustCreateClient(t, st, "app")
	exp := now().Add(time.Hour)
	// newCode and newToken derive other fields from the values; neutralise them.
	code := newCode("secret-code-value", "app", alice.ID, now())
	code.Nonce, code.RequestID, code.Data = "n", "r", nil
	mustCreateCode(t, st, code)
	tok := newToken("secret-access-value", "secret-refresh-value", "app", alice.ID, now())
	tok.RequestID = "r"
	mustCreateToken(t, st, tok)
	mustCreateSession(t, st, newSession(alice.ID, "secret-session-value", exp))
	mustCreateTicket(t, st, newTicket(store.TicketPasswordReset, "secret-ticket-value", alice.ID, exp))
	mustPutConsent(t, st, alice.ID, "app", "openid")
	wantOK(t, st.PutSigningKey(t.Context(), store.SigningKey{ID: "k1", Algorithm: "EdDSA",
		PrivateKeyPEM: []byte("private"), PublicKeyPEM: []byte("public"), Created: now()}), "PutSigningKey")
	return alice, staff
}

func testBackupWhileWriting(t *testing.T, st store.Store, reopen func(t *testing.T, data []byte) store.Store) {
	alice, staff := backupFixture(t, st)

	// A writer keeps creating users and tokens during the backup.
	var written atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := int64(1); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			u, err := st.CreateUser(t.Context(), newUser(fmt.Sprintf("w%05d", i)))
			if err != nil {
				t.Errorf("writer: CreateUser: %v", err)
				return
			}
			if _, err := st.CreateToken(t.Context(), newToken(fmt.Sprintf("w-at-%d", i), "", "app", u.ID, now())); err != nil {
				t.Errorf("writer: CreateToken: %v", err)
				return
			}
			written.Store(i)
		}
	})
	for written.Load() < 5 && !t.Failed() {
		time.Sleep(time.Millisecond)
	}
	before := written.Load()
	var buf bytes.Buffer
	n, err := st.(store.Backupper).Backup(t.Context(), &buf)
	close(stop)
	wg.Wait()
	wantOK(t, err, "Backup")
	if n != int64(buf.Len()) || n == 0 {
		t.Errorf("Backup = %d, wrote %d bytes", n, buf.Len())
	}
	// The store keeps serving after a backup.
	mustCreateUser(t, st, "after-backup")

	if reopen == nil {
		t.Log("no reopen function: the content of the backup is not checked")
		return
	}
	cp := reopen(t, buf.Bytes())
	got := mustGetUser(t, cp, alice.ID)
	wantGroupRefs(t, "alice's groups in the copy", got.Groups, staff)
	if _, err := cp.Authenticate(t.Context(), "alice", "alice's long password"); err != nil {
		t.Errorf("Authenticate in the copy: %v", err)
	}
	if p, err := cp.UserPhoto(t.Context(), alice.ID); err != nil || !bytes.Equal(p, photoJPEG) {
		t.Errorf("UserPhoto in the copy = %d bytes, %v", len(p), err)
	}
	g := mustGetGroup(t, cp, staff.ID)
	wantNames(t, "staff members in the copy", store.RefNames(g.Members), []string{"alice", "bob"})
	if c, err := cp.GetClient(t.Context(), "app"); err != nil || !c.CheckSecret("secret-of-app", time.Now()) {
		t.Errorf("GetClient in the copy: %v (or the secret does not match)", err)
	}
	_, err = cp.GetAuthorizationCode(t.Context(), "secret-code-value")
	wantOK(t, err, "GetAuthorizationCode in the copy")
	_, err = cp.GetTokenByRefreshToken(t.Context(), "secret-refresh-value")
	wantOK(t, err, "GetTokenByRefreshToken in the copy")
	_, err = cp.GetSessionByToken(t.Context(), "secret-session-value", time.Now())
	wantOK(t, err, "GetSessionByToken in the copy")
	_, err = cp.GetTicket(t.Context(), store.TicketPasswordReset, "secret-ticket-value", time.Now())
	wantOK(t, err, "GetTicket in the copy")
	_, err = cp.GetConsent(t.Context(), alice.ID, "app")
	wantOK(t, err, "GetConsent in the copy")
	if ks, err := cp.ListSigningKeys(t.Context()); err != nil || len(ks) != 1 || string(ks[0].PrivateKeyPEM) != "private" {
		t.Errorf("ListSigningKeys in the copy = %+v, %v", ks, err)
	}
	for i := int64(1); i <= before; i++ {
		name := fmt.Sprintf("w%05d", i)
		u, err := cp.GetUserByName(t.Context(), name)
		if err != nil {
			t.Errorf("GetUserByName(%q), written before the backup started: %v", name, err)
			continue
		}
		if _, err := cp.GetTokenByAccessToken(t.Context(), fmt.Sprintf("w-at-%d", i)); err != nil {
			t.Errorf("token of %q, written before the backup started: %v", u.UserName, err)
		}
	}
	// Whatever else the copy holds is whole.
	us, err := cp.ListUsers(t.Context(), store.UserQuery{})
	wantOK(t, err, "ListUsers in the copy")
	if c, err := cp.CountUsers(t.Context()); err != nil || c != len(us) {
		t.Errorf("CountUsers in the copy = %d, %v; ListUsers holds %d", c, err, len(us))
	}
	for _, u := range us {
		if byName, err := cp.GetUserByName(t.Context(), u.UserName); err != nil || byName.ID != u.ID {
			t.Errorf("GetUserByName(%q) in the copy = %q, %v", u.UserName, byName.ID, err)
		}
	}
	if _, err := cp.GetUserByName(t.Context(), "after-backup"); err == nil {
		t.Error("the copy holds a user created after the backup finished")
	}
}

func testBackupNoSecrets(t *testing.T, st store.Store) {
	backupFixture(t, st)
	var buf bytes.Buffer
	_, err := st.(store.Backupper).Backup(t.Context(), &buf)
	wantOK(t, err, "Backup")
	for _, secret := range []string{"alice's long password", "secret-of-app", "secret-code-value",
		"secret-access-value", "secret-refresh-value", "secret-session-value", "secret-ticket-value"} {
		if bytes.Contains(buf.Bytes(), []byte(secret)) {
			t.Errorf("the backup holds the secret value %q", secret)
		}
	}
}
