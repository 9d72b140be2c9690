package appsecrets

import (
	"context"
	"fmt"
	"sync"

	"github.com/trackly/tune-integration/internal/clickid"
	"github.com/trackly/tune-integration/internal/secrets"
)

// ClickSigningKeySecret names the secret that signs click ids.
const ClickSigningKeySecret = "click-signing-key"

// ClickSigner issues and verifies click ids with the click signing key, which it starts loading
// when it is made and waits for when it first needs it. A function's init then does not wait for
// Parameter Store: a cold tap reads its link, a cold postback is parsed, while the key loads. A
// click id issued or verified after a load failed loads the key again, so that an outage of
// Parameter Store costs the taps and postbacks that come during it, not the function instance.
type ClickSigner struct {
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

// NewClickSigner starts loading the click signing key from s, creating it on first use. The loads
// run with ctx's values but not its end: they outlive the init that starts the first.
func NewClickSigner(ctx context.Context, s *secrets.Store) *ClickSigner {
	background := context.WithoutCancel(ctx)
	k := &ClickSigner{load: func() (*clickid.Signer, error) {
		key, err := s.GetOrCreate(background, ClickSigningKeySecret, 32)
		if err != nil {
			return nil, fmt.Errorf("click signing key: %w", err)
		}
		return clickid.NewSigner([]byte(key))
	}}
	k.loading = k.start()
	return k
}

func (k *ClickSigner) start() *keyLoad {
	l := &keyLoad{done: make(chan struct{})}
	go func() {
		defer close(l.done)
		l.signer, l.err = k.load()
	}()
	return l
}

// signer returns the key's signer once it is loaded: it waits for the load under way, or starts
// another if the last one failed.
func (k *ClickSigner) signer() (*clickid.Signer, error) {
	k.mu.Lock()
	if k.loading.failed() {
		k.loading = k.start()
	}
	l := k.loading
	k.mu.Unlock()
	<-l.done
	return l.signer, l.err
}

// New issues a click id for linkID once the key is loaded.
func (k *ClickSigner) New(linkID string) (string, error) {
	s, err := k.signer()
	if err != nil {
		return "", err
	}
	return s.New(linkID)
}

// Verify checks a click id once the key is loaded and returns the link id it names. Its error
// wraps clickid.ErrForged only for a click id this system did not issue; any other error is the
// key's, which could not be loaded.
func (k *ClickSigner) Verify(clickID string) (linkID string, err error) {
	s, err := k.signer()
	if err != nil {
		return "", err
	}
	return s.Verify(clickID)
}
