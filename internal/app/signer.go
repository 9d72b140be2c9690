package app

import (
	"context"
	"sync"

	"github.com/trackly/tune-integration/internal/clickid"
)

// keyedIssuer issues click ids with the click signing key, which it starts loading when it is made
// and waits for when it first issues one. A function's init then does not wait for Parameter
// Store: a cold tap reads its link while the key loads. A tap that comes after a load failed loads
// the key again, so that an outage of Parameter Store costs the taps that come during it, not the
// function instance.
type keyedIssuer struct {
	load func() (*clickid.Signer, error)

	mu      sync.Mutex
	loading *keyLoad // the last load started
}

// keyLoad is one load of the key; signer and err are set before done closes.
type keyLoad struct {
	done   chan struct{}
	signer *clickid.Signer
	err    error
}

// failed reports whether the load has ended in an error.
func (l *keyLoad) failed() bool {
	select {
	case <-l.done:
		return l.err != nil
	default:
		return false
	}
}

// newKeyedIssuer starts loading the key with load. The loads run with ctx's values but not its
// end: they outlive the init that starts the first.
func newKeyedIssuer(ctx context.Context, load func(context.Context) (*clickid.Signer, error)) *keyedIssuer {
	background := context.WithoutCancel(ctx)
	k := &keyedIssuer{load: func() (*clickid.Signer, error) { return load(background) }}
	k.loading = k.start()
	return k
}

func (k *keyedIssuer) start() *keyLoad {
	l := &keyLoad{done: make(chan struct{})}
	go func() {
		defer close(l.done)
		l.signer, l.err = k.load()
	}()
	return l
}

// New issues a click id for linkID once the key is loaded: it waits for the load under way, or
// starts another if the last one failed.
func (k *keyedIssuer) New(linkID string) (string, error) {
	k.mu.Lock()
	if k.loading.failed() {
		k.loading = k.start()
	}
	l := k.loading
	k.mu.Unlock()
	<-l.done
	if l.err != nil {
		return "", l.err
	}
	return l.signer.New(linkID)
}
