package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/codeyard/codeyard/internal/store"
	"github.com/codeyard/codeyard/internal/web"
)

func newUsersCmd(s streams) *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Manage the web UI's users of the codeyard server (create, list, delete, password)",
		Long: `Manage the users who sign in to the server's web UI (/_codeyard/). A user
is a principal as an access key's user is: its name is the initiator of the
builds it starts, and a read-only user may only look.`,
	}
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", defaultDataDir(), "the server's data directory (CODEYARD_DATA_DIR)")
	open := func(ctx context.Context) (*store.Store, error) {
		if _, err := os.Stat(filepath.Join(dataDir, "codeyard.db")); err != nil {
			return nil, fmt.Errorf("no codeyard server data in %s: start `codeyard serve` once, or pass --data-dir", dataDir)
		}
		return store.Open(ctx, filepath.Join(dataDir, "codeyard.db"))
	}
	// password reads a password from stdin (--password-stdin) or makes
	// one, which is printed.
	password := func(fromStdin bool) (pw string, generated bool, err error) {
		if !fromStdin {
			return web.GeneratePassword(), true, nil
		}
		line, err := bufio.NewReader(s.in).ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return "", false, fmt.Errorf("--password-stdin: no password on standard input")
		}
		if len(line) < 8 || len(line) > 72 {
			return "", false, fmt.Errorf("--password-stdin: a password is 8 to 72 bytes long")
		}
		return line, false, nil
	}
	var readOnly, fromStdin bool
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a user and print its password (shown only once) unless --password-stdin",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if len(name) > 64 || !userName.MatchString(name) {
				return fmt.Errorf("user name %q: 1 to 64 letters, digits and +=,.@_-", name)
			}
			pw, generated, err := password(fromStdin)
			if err != nil {
				return err
			}
			hash, err := web.HashPassword(pw)
			if err != nil {
				return err
			}
			st, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.CreateUser(cmd.Context(), &store.User{Name: name, Password: hash, ReadOnly: readOnly, Created: time.Now()}); err != nil {
				return err
			}
			if generated {
				fmt.Fprintf(s.out, "created user %s; password: %s\n", name, pw)
			} else {
				fmt.Fprintf(s.out, "created user %s\n", name)
			}
			return nil
		},
	}
	create.Flags().BoolVar(&readOnly, "read-only", false, "the user may only look, not start, stop or change anything")
	create.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input")
	passwd := &cobra.Command{
		Use:   "password NAME",
		Short: "Set a new password for a user (printed unless --password-stdin) and sign it out everywhere",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, generated, err := password(fromStdin)
			if err != nil {
				return err
			}
			hash, err := web.HashPassword(pw)
			if err != nil {
				return err
			}
			st, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.SetPassword(cmd.Context(), args[0], hash); err != nil {
				return err
			}
			if generated {
				fmt.Fprintf(s.out, "new password of %s: %s\n", args[0], pw)
			}
			return nil
		},
	}
	passwd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input")
	list := &cobra.Command{
		Use:   "list",
		Short: "List users (never their passwords)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			users, err := st.Users(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "USER\tACCESS\tCREATED")
			for _, u := range users {
				access := "admin"
				if u.ReadOnly {
					access = "read-only"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, access, u.Created.UTC().Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	del := &cobra.Command{
		Use:   "delete NAME...",
		Short: "Delete users; their sessions end at once",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			for _, name := range args {
				if err := st.DeleteUser(cmd.Context(), name); err != nil {
					return err
				}
				fmt.Fprintf(s.out, "deleted %s\n", name)
			}
			return nil
		},
	}
	cmd.AddCommand(create, passwd, list, del)
	return cmd
}
