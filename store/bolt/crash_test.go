package bolt_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/canaille-go/canaille/store"
)

// crashChildEnv names the database of the child process of TestCrash.
const crashChildEnv = "CANAILLE_TEST_CRASH_DB"

// TestCrash kills (SIGKILL) a process in the middle of a stream of writes,
// single ones and all-or-nothing batches, then reopens the database: every
// write the child acknowledged must be there, every batch must be whole or
// absent, and bbolt's page check must pass.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	for round := range 3 {
		t.Run(fmt.Sprintf("round%d", round), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "crash.db")
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
			cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var acked []string
			sc := bufio.NewScanner(out)
			// Kill after a number of acknowledgements that varies by round,
			// so the kill lands in different places.
			killAt := 150 + 97*round
			for sc.Scan() {
				if ack, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
					acked = append(acked, ack)
					if len(acked) == killAt {
						cmd.Process.Signal(syscall.SIGKILL)
						break
					}
				}
			}
			cmd.Wait()
			if len(acked) < killAt {
				t.Fatalf("child stopped after %d acknowledgements", len(acked))
			}
			s := mustOpen(t, path)
			if err := s.Check(); err != nil {
				t.Fatalf("consistency check after the crash: %v", err)
			}
			ctx := context.Background()
			for _, a := range acked {
				kind, name, _ := strings.Cut(a, " ")
				switch kind {
				case "user":
					if _, err := s.GetUserByName(ctx, name); err != nil {
						t.Errorf("acknowledged user %s lost: %v", name, err)
					}
				case "group":
					g, err := s.GetGroupByName(ctx, name)
					if err != nil || len(g.Members) == 0 {
						t.Errorf("acknowledged group %s lost or empty: %v", name, err)
					}
				case "batch":
					for i := range 50 {
						if _, err := s.GetUserByName(ctx, fmt.Sprintf("%s-%d", name, i)); err != nil {
							t.Errorf("user %d of acknowledged batch %s lost: %v", i, name, err)
						}
					}
				}
			}
			// Batches are atomic even when unacknowledged: whole or absent.
			users, err := s.ListUsers(ctx, store.UserQuery{Search: "batch"})
			if err != nil {
				t.Fatal(err)
			}
			perBatch := map[string]int{}
			for _, u := range users {
				b, _, _ := strings.Cut(u.UserName, "-")
				perBatch[b]++
			}
			for b, n := range perBatch {
				if n != 50 {
					t.Errorf("batch %s holds %d users after the crash, want 50 or none", b, n)
				}
			}
			t.Logf("killed after %d acknowledged writes; %d batches present", len(acked), len(perBatch))
		})
	}
}

// TestCrashChild is the child process of TestCrash: it writes until it is
// killed, printing "ack …" after each write returns.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("run by TestCrash")
	}
	cfg := testConfig(t, path)
	cfg.NoSync = false
	s, err := cfg.Open()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ack := func(format string, a ...any) { fmt.Printf("ack "+format+"\n", a...) }
	for i := 0; ; i++ {
		switch i % 3 {
		case 0:
			u, err := s.CreateUser(ctx, store.User{UserName: fmt.Sprintf("user%d", i), Emails: []string{fmt.Sprintf("u%d@example.org", i)}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.UpdateUser(ctx, u.ID, func(u *store.User) error { u.Title = "updated"; return nil }); err != nil {
				t.Fatal(err)
			}
			ack("user %s", u.UserName)
		case 1:
			u, err := s.CreateUser(ctx, store.User{UserName: fmt.Sprintf("member%d", i)})
			if err != nil {
				t.Fatal(err)
			}
			g, err := s.CreateGroup(ctx, store.Group{DisplayName: fmt.Sprintf("group%d", i), Members: []store.Ref{{ID: u.ID}}})
			if err != nil {
				t.Fatal(err)
			}
			ack("group %s", g.DisplayName)
		case 2:
			name := fmt.Sprintf("batch%d", i)
			users := make([]store.User, 50)
			for j := range users {
				users[j] = store.User{ID: store.NewID(), UserName: fmt.Sprintf("%s-%d", name, j)}
			}
			err := s.Import(ctx, users, []store.Group{{DisplayName: name, Members: []store.Ref{{ID: users[0].ID}}}})
			if err != nil && !errors.Is(err, store.ErrExists) {
				t.Fatal(err)
			}
			ack("batch %s", name)
		}
		if i > 100000 {
			time.Sleep(time.Millisecond) // never reached in practice: the parent kills us
		}
	}
}
