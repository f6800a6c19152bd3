package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	"github.com/spf13/cobra"

	"github.com/codeyard/codeyard/internal/webhook"
)

func newWebhookCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Debug CodeBuild webhooks",
	}
	cmd.AddCommand(newWebhookTestCmd(s))
	return cmd
}

type webhookTestFlags struct {
	project, forge, event string
	filterGroups          string
	branchFilter          string
	endpoint              string
}

// defaultEvents are the event header of each forge's pushes.
var defaultEvents = map[string]string{webhook.GitHub: "push", webhook.Gitea: "push", webhook.GitLab: "Push Hook", webhook.Bitbucket: "repo:push"}

func newWebhookTestCmd(s streams) *cobra.Command {
	var f webhookTestFlags
	cmd := &cobra.Command{
		Use:   "test --forge FORGE [--event EVENT] (--project NAME | --filter-groups JSON) PAYLOAD.json",
		Short: "Replay a saved webhook payload against a project's filter groups, and show the build it would start",
		Long: `Replay a saved webhook payload (as the forge's delivery log shows it; "-"
reads standard input) against the filter groups of a project's webhook, read
from the server (AWS_ENDPOINT_URL and an access key, as the aws CLI), or
given with --filter-groups as CreateWebhook takes them (JSON, or @FILE).
It prints how each filter group fares, filter by filter, and the build the
first group that passes would start: its sourceVersion and CODEBUILD_WEBHOOK_*
variables. Nothing is started. It exits 0 when a build would start, 1 when
none would.

--forge is github, gitlab, bitbucket or gitea (Gitea and Forgejo); --event is
the forge's event header: X-GitHub-Event (push, pull_request, release),
X-Gitlab-Event (Push Hook, Tag Push Hook, Merge Request Hook, Release Hook),
X-Event-Key (repo:push, pullrequest:created, ...) or X-Gitea-Event.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWebhookTest(cmd.Context(), s, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.project, "project", "", "the project whose webhook's filter groups apply")
	fl.StringVar(&f.forge, "forge", "", "github, gitlab, bitbucket or gitea")
	fl.StringVar(&f.event, "event", "", "the forge's event header (default: the forge's push)")
	fl.StringVar(&f.filterGroups, "filter-groups", "", "filter groups as JSON, or @FILE, instead of --project's")
	fl.StringVar(&f.branchFilter, "branch-filter", "", "with --filter-groups: the webhook's branchFilter")
	fl.StringVar(&f.endpoint, "endpoint-url", os.Getenv("AWS_ENDPOINT_URL"), "the codeyard server (AWS_ENDPOINT_URL)")
	return cmd
}

func runWebhookTest(ctx context.Context, s streams, f webhookTestFlags, path string) error {
	if _, ok := defaultEvents[f.forge]; !ok {
		return fmt.Errorf("--forge %q: want github, gitlab, bitbucket or gitea", f.forge)
	}
	if (f.project == "") == (f.filterGroups == "") {
		return errors.New("give --project or --filter-groups")
	}
	event := cmpOr(f.event, defaultEvents[f.forge])
	var body []byte
	var err error
	if path == "-" {
		body, err = io.ReadAll(io.LimitReader(s.in, webhook.MaxBody+1))
	} else {
		body, err = os.ReadFile(path)
	}
	if err != nil {
		return err
	}
	groups, buildType, branchFilter, err := testGroups(ctx, f)
	if err != nil {
		return err
	}
	if err := webhook.Check(groups); err != nil {
		return fmt.Errorf("filter groups: %w", err)
	}
	explicit := len(groups) > 0
	if !explicit {
		groups = webhook.DefaultGroups(branchFilter)
	}
	ev, err := webhook.Parse(f.forge, event, body)
	if errors.Is(err, webhook.ErrIgnored) {
		fmt.Fprintf(s.out, "no build: %v\n", err)
		return exitError{exitFailed}
	}
	if err != nil {
		return err
	}
	w := s.out
	fmt.Fprintf(w, "event: %s of %s", ev.Type, ev.HeadRef)
	if ev.Commit != "" {
		fmt.Fprintf(w, " at %s", ev.Commit)
	}
	fmt.Fprintf(w, " (%s %q)\n", f.forge, event)
	if ev.BaseRef != "" {
		fmt.Fprintf(w, "  base ref: %s\n", ev.BaseRef)
	}
	fmt.Fprintf(w, "  actor account id: %s\n", cmpOr(ev.Actor, "(none)"))
	if ev.FilesKnown {
		fmt.Fprintf(w, "  changed files: %s\n", cmpOr(strings.Join(ev.Files, ", "), "(none)"))
	}
	if ev.MessageKnown {
		fmt.Fprintf(w, "  head commit message: %q\n", ev.Message)
	}
	if !explicit {
		fmt.Fprintln(w, "the webhook has no filter groups: pushes and pull requests created, updated or reopened start builds")
	}
	match := -1
	for i, r := range webhook.Evaluate(groups, ev) {
		verdict := "fails"
		if r.Pass {
			verdict = "passes"
			if match < 0 {
				match = i
			}
		}
		fmt.Fprintf(w, "filter group %d: %s\n", i+1, verdict)
		for _, fr := range r.Filters {
			v := "passes"
			if !fr.Pass {
				v = "fails"
			}
			not := ""
			if fr.Filter.Exclude {
				not = " (excludeMatchedPattern)"
			}
			detail := fr.Note
			if detail == "" {
				detail = fmt.Sprintf("value %q", fr.Value)
			}
			fmt.Fprintf(w, "  %s %q%s: %s, %s\n", fr.Filter.Type, fr.Filter.Pattern, not, v, detail)
		}
	}
	if match < 0 {
		fmt.Fprintln(w, "no filter group passes: no build would start")
		return exitError{exitFailed}
	}
	st := ev.Start()
	what := "build"
	if buildType == "BUILD_BATCH" {
		what = "build batch"
	}
	fmt.Fprintf(w, "filter group %d passes: it would start a %s of %s, initiated by the forge's User-Agent:\n", match+1, what, cmpOr(f.project, "the project"))
	fmt.Fprintf(w, "  sourceVersion: %s\n", st.SourceVersion)
	fmt.Fprintf(w, "  fetched as: %s\n", st.Fetch)
	for _, v := range st.Variables {
		fmt.Fprintf(w, "  %s=%s\n", v.Name, v.Value)
	}
	return nil
}

// testGroups reads the filter groups: the project's webhook's from the
// server, or --filter-groups.
func testGroups(ctx context.Context, f webhookTestFlags) (groups [][]webhook.Filter, buildType, branchFilter string, err error) {
	type filter struct {
		Type                  string `json:"type"`
		Pattern               string `json:"pattern"`
		ExcludeMatchedPattern bool   `json:"excludeMatchedPattern"`
	}
	var raw [][]filter
	buildType, branchFilter = "BUILD", f.branchFilter
	if f.filterGroups != "" {
		data := []byte(f.filterGroups)
		if name, ok := strings.CutPrefix(f.filterGroups, "@"); ok {
			var err error
			if data, err = os.ReadFile(name); err != nil {
				return nil, "", "", err
			}
		}
		if err = json.Unmarshal(data, &raw); err != nil {
			return nil, "", "", fmt.Errorf("--filter-groups: %w", err)
		}
	} else {
		if f.endpoint == "" {
			return nil, "", "", errors.New("--project needs the server: set AWS_ENDPOINT_URL (or --endpoint-url) and an access key")
		}
		region := cmpOr(os.Getenv("AWS_REGION"), cmpOr(os.Getenv("AWS_DEFAULT_REGION"), "us-east-1"))
		c := codebuild.New(codebuild.Options{Region: region, BaseEndpoint: aws.String(f.endpoint),
			Credentials: credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN"))})
		out, err := c.BatchGetProjects(ctx, &codebuild.BatchGetProjectsInput{Names: []string{f.project}})
		if err != nil {
			return nil, "", "", err
		}
		if len(out.Projects) == 0 {
			return nil, "", "", fmt.Errorf("project %s does not exist", f.project)
		}
		w := out.Projects[0].Webhook
		if w == nil {
			return nil, "", "", fmt.Errorf("project %s has no webhook", f.project)
		}
		for _, g := range w.FilterGroups {
			var fg []filter
			for _, x := range g {
				fg = append(fg, filter{Type: string(x.Type), Pattern: aws.ToString(x.Pattern), ExcludeMatchedPattern: aws.ToBool(x.ExcludeMatchedPattern)})
			}
			raw = append(raw, fg)
		}
		if w.BuildType != "" {
			buildType = string(w.BuildType)
		}
		if branchFilter == "" {
			branchFilter = aws.ToString(w.BranchFilter)
		}
	}
	groups = make([][]webhook.Filter, len(raw))
	for i, g := range raw {
		for _, x := range g {
			groups[i] = append(groups[i], webhook.Filter{Type: x.Type, Pattern: x.Pattern, Exclude: x.ExcludeMatchedPattern})
		}
	}
	return groups, buildType, branchFilter, nil
}
