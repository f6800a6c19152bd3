package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"sync"
)

// maxCachedKeys bounds the signing-key cache. A key is valid for one day, so
// this covers as many access keys × regions × services as a server sees.
const maxCachedKeys = 1024

// keyCache remembers derived signing keys. The zero value is ready to use.
type keyCache struct {
	mu   sync.Mutex        // guards keys
	keys map[string][]byte // by secret, date, region and service
}

// get returns the signing key for a secret and a credential scope, deriving
// it on a miss. The returned slice is shared and must not be modified.
// date, region and service have been validated and contain no NUL byte.
func (c *keyCache) get(secret, date, region, service string) []byte {
	id := secret + "\x00" + date + "\x00" + region + "\x00" + service
	c.mu.Lock()
	k, ok := c.keys[id]
	c.mu.Unlock()
	if ok {
		return k
	}
	k = deriveKey(secret, date, region, service)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = make(map[string][]byte)
	}
	if len(c.keys) >= maxCachedKeys {
		for old := range c.keys { // evict an arbitrary entry
			delete(c.keys, old)
			break
		}
	}
	c.keys[id] = k
	return k
}

// deriveKey computes the SigV4 signing key:
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
func deriveKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, terminator)
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
