package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/codeyard/codeyard/internal/cache"
)

// openCache opens the local cache store, $CODEYARD_HOME/cache.
func openCache() (*cache.Store, error) {
	home, err := stateDir()
	if err != nil {
		return nil, err
	}
	return cache.Open(filepath.Join(home, "cache"))
}

func newCacheCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Inspect and clear the local build cache",
	}
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List the saved caches, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openCache()
			if err != nil {
				return err
			}
			entries, err := st.List()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "KEY\tPROJECT\tFILES\tBYTES\tSIZE\tCREATED\tLAST USED\tPATHS")
			for _, e := range entries {
				key := e.Key
				if key == "" {
					key = "(project cache)"
				}
				if e.Damaged {
					fmt.Fprintf(tw, "%s\t%s\t-\t-\t%d\t-\t%s\tdamaged: %s\n", key, e.Project, e.Size, e.LastUsed.Format("2006-01-02 15:04:05"), e.Path)
					continue
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%v\n", key, e.Project, e.Files, e.Bytes, e.Size,
					e.Created.Format("2006-01-02 15:04:05"), e.LastUsed.Format("2006-01-02 15:04:05"), e.Paths)
			}
			return tw.Flush()
		},
	}
	var all bool
	var project string
	rm := &cobra.Command{
		Use:   "rm KEY | --all | --project NAME",
		Short: "Remove the caches saved under KEY, all of a project's, or all",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openCache()
			if err != nil {
				return err
			}
			switch {
			case all && len(args) == 0 && project == "":
				return st.RemoveAll()
			case project != "" && len(args) == 0 && !all:
				return st.RemoveProject(project)
			case len(args) == 1 && !all && project == "":
				err := st.Remove(args[0])
				if errors.Is(err, cache.ErrNotFound) {
					fmt.Fprintf(s.errOut, "codeyard: no cache is saved under key %q\n", args[0])
					return exitError{1}
				}
				return err
			}
			return errors.New("give one of KEY, --all or --project NAME")
		},
	}
	rm.Flags().BoolVar(&all, "all", false, "remove every cache")
	rm.Flags().StringVar(&project, "project", "", "remove every cache of one project (or cache namespace)")
	cmd.AddCommand(ls, rm)
	return cmd
}
