package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestLeanHTTP drives leanHTTP against net/http's server: requests as a
// server reads them, fixed-length and chunked bodies, keep-alive, and a
// server that closes the connection.
func TestLeanHTTP(t *testing.T) {
	var conns atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id, secret, _ := r.BasicAuth()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Content-Type")+" "+id+":"+secret+" "+string(body))
	})
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		for i := range 3 {
			io.WriteString(w, strings.Repeat(string(rune('a'+i)), 5000))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	l := &leanHTTP{timeout: 5 * time.Second}
	defer l.close()
	var buf bytes.Buffer

	req := mustRequest(http.MethodPost, srv.URL+"/echo?x=1", []byte("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("app", "s3cret")
	resp, body, err := l.do(req, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if want := "POST /echo?x=1 application/x-www-form-urlencoded app:s3cret grant_type=client_credentials"; resp.StatusCode != 200 || string(body) != want {
		t.Errorf("echo: %d %q, want %q", resp.StatusCode, body, want)
	}
	if resp.Header.Get("Content-Type") != "application/json" || resp.Status != "200 OK" || resp.Request != req {
		t.Errorf("response: %+v", resp)
	}
	for range 5 {
		if _, body, err := l.do(mustRequest(http.MethodGet, srv.URL+"/echo", nil), &buf); err != nil || string(body) != "GET /echo  : " {
			t.Fatalf("GET: %q %v", body, err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 6 requests, want 1 (keep-alive)", n)
	}

	if _, body, err := l.do(mustRequest(http.MethodGet, srv.URL+"/chunked", nil), &buf); err != nil ||
		string(body) != strings.Repeat("a", 5000)+strings.Repeat("b", 5000)+strings.Repeat("c", 5000) {
		t.Errorf("chunked: %d bytes, %v", len(body), err)
	}
	if resp, body, err := l.do(mustRequest(http.MethodGet, srv.URL+"/empty", nil), &buf); err != nil || resp.StatusCode != 204 || len(body) != 0 {
		t.Errorf("204: %v %q %v", resp, body, err)
	}
	before := conns.Load()
	if _, body, err := l.do(mustRequest(http.MethodGet, srv.URL+"/close", nil), &buf); err != nil || string(body) != "bye" {
		t.Errorf("close: %q %v", body, err)
	}
	if _, _, err := l.do(mustRequest(http.MethodGet, srv.URL+"/echo", nil), &buf); err != nil {
		t.Fatal(err)
	}
	if conns.Load() != before+1 {
		t.Errorf("after Connection: close, %d new connections, want 1", conns.Load()-before)
	}

	if _, _, err := l.do(mustRequest(http.MethodGet, "https://example.org/", nil), &buf); !errors.Is(err, errNotLean) {
		t.Errorf("https: %v, want errNotLean", err)
	}
}

// rawServer answers each connection with fn.
func rawServer(t *testing.T, fn func(c net.Conn, r *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fn(c, bufio.NewReader(c))
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// readRequestHead reads a request's head and returns its first line.
func readRequestHead(r *bufio.Reader) string {
	first, _ := r.ReadString('\n')
	for {
		l, err := r.ReadString('\n')
		if err != nil || l == "\r\n" {
			return strings.TrimSpace(first)
		}
	}
}

// TestLeanHTTPRawServers: responses net/http's server does not send, and
// broken ones, which give errors and never hang or panic.
func TestLeanHTTPRawServers(t *testing.T) {
	var buf bytes.Buffer
	get := func(l *leanHTTP, target string) (*http.Response, []byte, error) {
		return l.do(mustRequest(http.MethodGet, target, nil), &buf)
	}

	t.Run("interim response, then a body to the end of the connection", func(t *testing.T) {
		u := rawServer(t, func(c net.Conn, r *bufio.Reader) {
			readRequestHead(r)
			io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
		})
		l := &leanHTTP{timeout: 5 * time.Second}
		defer l.close()
		resp, body, err := get(l, u+"/")
		if err != nil || resp.StatusCode != 200 || string(body) != "until the end" {
			t.Fatalf("%v %q %v", resp, body, err)
		}
		if l.conn != nil {
			t.Error("the connection is kept after a body that ended with it")
		}
	})

	t.Run("idle connection closed by the server", func(t *testing.T) {
		u := rawServer(t, func(c net.Conn, r *bufio.Reader) {
			readRequestHead(r)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			// and close: a keep-alive connection the client thinks open
		})
		l := &leanHTTP{timeout: 5 * time.Second}
		defer l.close()
		for i := range 3 {
			if _, body, err := get(l, u+"/"); err != nil || string(body) != "ok" {
				t.Fatalf("GET %d: %q %v", i, body, err)
			}
		}
		// A POST is not sent twice: its error is the caller's.
		time.Sleep(50 * time.Millisecond)
		if _, _, err := l.do(mustRequest(http.MethodPost, u+"/", []byte("x")), &buf); err == nil {
			t.Error("a POST on a connection the server closed succeeded")
		}
	})

	// A server that resets its idle connections: the next request is
	// refused by a reset (on its write or on the read of the answer,
	// whichever the kernel sees first), which a GET retries as an end of
	// file.
	t.Run("idle connection reset by the server", func(t *testing.T) {
		u := rawServer(t, func(c net.Conn, r *bufio.Reader) {
			readRequestHead(r)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			time.Sleep(10 * time.Millisecond) // the answer is read before the reset
			c.(*net.TCPConn).SetLinger(0)
		})
		l := &leanHTTP{timeout: 5 * time.Second}
		defer l.close()
		for i := range 5 {
			if _, body, err := get(l, u+"/"); err != nil || string(body) != "ok" {
				t.Fatalf("GET %d: %q %v", i, body, err)
			}
			time.Sleep(20 * time.Millisecond) // the reset has arrived
		}
		time.Sleep(50 * time.Millisecond)
		if _, _, err := l.do(mustRequest(http.MethodPost, u+"/", []byte("x")), &buf); err == nil {
			t.Error("a POST on a connection the server closed succeeded")
		}
	})

	for name, answer := range map[string]string{
		"malformed status line": "HTTP/9 what\r\n\r\n",
		"no status code":        "HTTP/1.1 OK\r\n\r\n",
		"malformed header":      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
		"huge length":           "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
		"negative length":       "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"short body":            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
		"bad chunk size":        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
		"chunk without CRLF":    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n",
		"header line too long":  "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("x", 70<<10) + "\r\n\r\n",
		"nothing":               "",
	} {
		t.Run(name, func(t *testing.T) {
			u := rawServer(t, func(c net.Conn, r *bufio.Reader) {
				readRequestHead(r)
				io.WriteString(c, answer)
			})
			l := &leanHTTP{timeout: 2 * time.Second}
			defer l.close()
			if resp, body, err := get(l, u+"/"); err == nil {
				t.Errorf("accepted: %v %q", resp, body)
			}
			if l.conn != nil {
				t.Error("the connection is kept after an error")
			}
		})
	}

	t.Run("server that never answers", func(t *testing.T) {
		u := rawServer(t, func(c net.Conn, r *bufio.Reader) {
			readRequestHead(r)
			time.Sleep(2 * time.Second)
		})
		l := &leanHTTP{timeout: 200 * time.Millisecond}
		defer l.close()
		start := time.Now()
		if _, _, err := get(l, u+"/"); err == nil {
			t.Error("no error")
		}
		if time.Since(start) > 1500*time.Millisecond {
			t.Error("the request outlived its timeout")
		}
	})
}
