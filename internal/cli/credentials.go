package cli

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/codeyard/codeyard/internal/awsapi"
	"github.com/codeyard/codeyard/internal/seal"
	"github.com/codeyard/codeyard/internal/store"
)

// keyring finds access keys for the API: secrets are sealed in the store
// and opened on first use; a looked-up key is trusted for keyTTL, so a key
// deleted by `codeyard credentials delete` stops working within that.
type keyring struct {
	store *store.Store
	key   *seal.Key

	mu    sync.Mutex // guards cache
	cache map[string]cachedKey
}

const keyTTL = 5 * time.Second

type cachedKey struct {
	secret string
	p      awsapi.Principal
	ok     bool
	at     time.Time
}

var _ awsapi.Keys = (*keyring)(nil)

func keyAAD(id string) []byte { return []byte("access-key:" + id) }

// AccessKey returns a key's secret and principal.
func (k *keyring) AccessKey(ctx context.Context, id string) (string, awsapi.Principal, bool, error) {
	now := time.Now()
	k.mu.Lock()
	c, hit := k.cache[id]
	k.mu.Unlock()
	if hit && now.Sub(c.at) < keyTTL {
		return c.secret, c.p, c.ok, nil
	}
	rec, err := k.store.AccessKey(ctx, id)
	if errors.Is(err, store.ErrNoKey) {
		c = cachedKey{at: now}
	} else if err != nil {
		return "", awsapi.Principal{}, false, err
	} else {
		secret, err := k.key.Open(rec.Secret, keyAAD(id))
		if err != nil {
			return "", awsapi.Principal{}, false, fmt.Errorf("access key %s: %w", id, err)
		}
		c = cachedKey{secret: string(secret), p: awsapi.Principal{AccessKeyID: id, UserName: rec.UserName, ReadOnly: rec.ReadOnly}, ok: true, at: now}
	}
	k.mu.Lock()
	if k.cache == nil {
		k.cache = map[string]cachedKey{}
	}
	if len(k.cache) > 10000 {
		clear(k.cache) // unknown ids from a scanner must not grow it forever
	}
	k.cache[id] = c
	k.mu.Unlock()
	return c.secret, c.p, c.ok, nil
}

type createdKey struct {
	id, secret, user string
	readOnly         bool
}

// create makes a new access key for user.
func (k *keyring) create(ctx context.Context, user string, readOnly bool) (*createdKey, error) {
	var idb [10]byte
	rand.Read(idb[:])
	id := "AKIA" + base32.StdEncoding.EncodeToString(idb[:])[:16]
	var sb [30]byte
	rand.Read(sb[:])
	secret := base64.StdEncoding.EncodeToString(sb[:])
	err := k.store.CreateAccessKey(ctx, &store.AccessKey{ID: id, UserName: user, Secret: k.key.Seal([]byte(secret), keyAAD(id)), ReadOnly: readOnly, Created: time.Now()})
	if err != nil {
		return nil, err
	}
	return &createdKey{id: id, secret: secret, user: user, readOnly: readOnly}, nil
}

// checkMaster checks that the master key opens the stored secrets: a
// server started with another key than the one that sealed them would
// answer every request with an error.
func (k *keyring) checkMaster(ctx context.Context) error {
	keys, err := k.store.AccessKeys(ctx)
	if err != nil || len(keys) == 0 {
		return err
	}
	if _, err := k.key.Open(keys[0].Secret, keyAAD(keys[0].ID)); err != nil {
		return errors.New("the master key does not open this data directory's secrets: start the server with the CODEYARD_MASTER_KEY (or the master.key file) it was first started with")
	}
	return nil
}

// ensureAdmin creates the admin key on a first start (no key at all).
func (k *keyring) ensureAdmin(ctx context.Context) (*createdKey, error) {
	keys, err := k.store.AccessKeys(ctx)
	if err != nil || len(keys) > 0 {
		return nil, err
	}
	return k.create(ctx, "admin", false)
}

var userName = regexp.MustCompile(`^[\w+=,.@-]+$`) // and 64 bytes at most

func newCredentialsCmd(s streams) *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "credentials",
		Short: "Manage the access keys of the codeyard server (create, list, delete)",
	}
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", defaultDataDir(), "the server's data directory (CODEYARD_DATA_DIR)")
	open := func(ctx context.Context) (*keyring, func(), error) {
		if _, err := os.Stat(filepath.Join(dataDir, "codeyard.db")); err != nil {
			return nil, nil, fmt.Errorf("no codeyard server data in %s: start `codeyard serve` once, or pass --data-dir", dataDir)
		}
		key, err := seal.Load(os.Getenv("CODEYARD_MASTER_KEY"), filepath.Join(dataDir, "master.key"))
		if err != nil {
			return nil, nil, err
		}
		st, err := store.Open(ctx, filepath.Join(dataDir, "codeyard.db"))
		if err != nil {
			return nil, nil, err
		}
		return &keyring{store: st, key: key}, func() { st.Close() }, nil
	}
	var user string
	var readOnly, asJSON bool
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an access key and print it (the secret is shown only once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(user) > 64 || !userName.MatchString(user) {
				return fmt.Errorf("--user %q: 1 to 64 letters, digits and +=,.@_-", user)
			}
			k, done, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			c, err := k.create(cmd.Context(), user, readOnly)
			if err != nil {
				return err
			}
			if asJSON {
				j, _ := json.MarshalIndent(map[string]any{"AccessKeyId": c.id, "SecretAccessKey": c.secret, "UserName": c.user, "ReadOnly": c.readOnly}, "", "  ")
				fmt.Fprintf(s.out, "%s\n", j)
				return nil
			}
			fmt.Fprintf(s.out, "export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\n", c.id, c.secret)
			return nil
		},
	}
	create.Flags().StringVar(&user, "user", "admin", "the user the key belongs to (the builds' initiator)")
	create.Flags().BoolVar(&readOnly, "read-only", false, "allow only operations that read (BatchGet*, Get*, List*, Describe*, Filter*)")
	create.Flags().BoolVar(&asJSON, "json", false, "print the key as JSON")
	list := &cobra.Command{
		Use:   "list",
		Short: "List access keys (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, done, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			keys, err := k.store.AccessKeys(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ACCESS KEY ID\tUSER\tACCESS\tCREATED")
			for _, key := range keys {
				access := "admin"
				if key.ReadOnly {
					access = "read-only"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", key.ID, key.UserName, access, key.Created.UTC().Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	del := &cobra.Command{
		Use:   "delete ACCESS_KEY_ID...",
		Short: "Delete access keys; a running server stops accepting them within seconds",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, done, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			for _, id := range args {
				if err := k.store.DeleteAccessKey(cmd.Context(), id); err != nil {
					return err
				}
				fmt.Fprintf(s.out, "deleted %s\n", id)
			}
			return nil
		},
	}
	cmd.AddCommand(create, list, del)
	return cmd
}
