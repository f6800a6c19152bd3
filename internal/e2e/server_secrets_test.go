package e2e_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func (s *server) ssm() *ssm.Client {
	return ssm.New(ssm.Options{Region: "eu-west-1", Credentials: s.creds(), BaseEndpoint: aws.String(s.endpoint)})
}

func (s *server) secretsManager() *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{Region: "eu-west-1", Credentials: s.creds(), BaseEndpoint: aws.String(s.endpoint)})
}

// TestServerParameterStoreCLI drives Parameter Store with the aws CLI.
func TestServerParameterStoreCLI(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	run := func(args ...string) string {
		t.Helper()
		out, err := awsCLI(t, srv, append([]string{"ssm"}, args...)...)
		if err != nil {
			t.Fatalf("aws ssm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	fails := func(code string, args ...string) {
		t.Helper()
		out, err := awsCLI(t, srv, append([]string{"ssm"}, args...)...)
		if err == nil || !strings.Contains(out, "("+code+")") {
			t.Errorf("aws ssm %s: %v, want %s:\n%s", strings.Join(args, " "), err, code, out)
		}
	}
	run("put-parameter", "--name", "/cli/db/host", "--value", "db.internal", "--type", "String")
	run("put-parameter", "--name", "/cli/db/password", "--value", "cli-pw-1", "--type", "SecureString", "--description", "db password")
	fails("ParameterAlreadyExists", "put-parameter", "--name", "/cli/db/password", "--value", "x", "--type", "SecureString")
	if out := run("put-parameter", "--name", "/cli/db/password", "--value", "cli-pw-2", "--overwrite"); !strings.Contains(out, `"Version": 2`) {
		t.Errorf("put-parameter --overwrite:\n%s", out)
	}
	run("put-parameter", "--name", "/cli/hosts", "--value", "a,b", "--type", "StringList")

	out := run("get-parameter", "--name", "/cli/db/password", "--with-decryption", "--query", "Parameter.[Value,Version,ARN]", "--output", "text")
	if want := "cli-pw-2\t2\tarn:aws:ssm:us-east-2:000000000000:parameter/cli/db/password"; strings.TrimSpace(out) != want {
		t.Errorf("get-parameter --with-decryption = %q, want %q", out, want)
	}
	if out := run("get-parameter", "--name", "/cli/db/password", "--query", "Parameter.Value", "--output", "text"); strings.Contains(out, "cli-pw") {
		t.Errorf("get-parameter without decryption answered the value: %s", out)
	}
	if out := run("get-parameter", "--name", "/cli/db/password:1", "--with-decryption", "--query", "Parameter.[Value,Selector]", "--output", "text"); strings.TrimSpace(out) != "cli-pw-1\t:1" {
		t.Errorf("get-parameter name:1 = %q", out)
	}
	fails("ParameterNotFound", "get-parameter", "--name", "/cli/missing")
	fails("ParameterVersionNotFound", "get-parameter", "--name", "/cli/db/password:7")

	// The CLI pages through GetParametersByPath with the tokens.
	out = run("get-parameters-by-path", "--path", "/cli", "--recursive", "--with-decryption", "--page-size", "1",
		"--query", "Parameters[].[Name,Value]", "--output", "text")
	if want := "/cli/db/host\tdb.internal\n/cli/db/password\tcli-pw-2\n/cli/hosts\ta,b\n"; out != want {
		t.Errorf("get-parameters-by-path --recursive = %q, want %q", out, want)
	}
	if out := run("get-parameters-by-path", "--path", "/cli", "--query", "Parameters[].Name", "--output", "text"); strings.TrimSpace(out) != "/cli/hosts" {
		t.Errorf("get-parameters-by-path one level = %q", out)
	}
	if out := run("describe-parameters", "--parameter-filters", "Key=Type,Values=SecureString", "--query", "Parameters[].[Name,KeyId,Description]", "--output", "text"); strings.TrimSpace(out) != "/cli/db/password\talias/aws/ssm\tdb password" {
		t.Errorf("describe-parameters = %q", out)
	}
	run("delete-parameter", "--name", "/cli/db/host")
	fails("ParameterNotFound", "delete-parameter", "--name", "/cli/db/host")
	fails("ValidationException", "put-parameter", "--name", "cli/relative", "--value", "x", "--type", "String")
}

// TestServerSecretsManagerCLI drives Secrets Manager with the aws CLI.
func TestServerSecretsManagerCLI(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	run := func(args ...string) string {
		t.Helper()
		out, err := awsCLI(t, srv, append([]string{"secretsmanager"}, args...)...)
		if err != nil {
			t.Fatalf("aws secretsmanager %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	fails := func(code string, args ...string) {
		t.Helper()
		out, err := awsCLI(t, srv, append([]string{"secretsmanager"}, args...)...)
		if err == nil || !strings.Contains(out, "("+code+")") {
			t.Errorf("aws secretsmanager %s: %v, want %s:\n%s", strings.Join(args, " "), err, code, out)
		}
	}
	var created struct{ ARN, Name, VersionId string }
	if err := json.Unmarshal([]byte(run("create-secret", "--name", "cli/db", "--secret-string", `{"password":"cli-s1"}`)), &created); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.ARN, "arn:aws:secretsmanager:us-east-2:000000000000:secret:cli/db-") || len(created.ARN) != len("arn:aws:secretsmanager:us-east-2:000000000000:secret:cli/db-")+6 || created.VersionId == "" {
		t.Errorf("create-secret = %+v", created)
	}
	fails("ResourceExistsException", "create-secret", "--name", "cli/db", "--secret-string", "x")
	run("put-secret-value", "--secret-id", "cli/db", "--secret-string", `{"password":"cli-s2"}`)
	if out := run("get-secret-value", "--secret-id", created.ARN, "--query", "SecretString", "--output", "text"); strings.TrimSpace(out) != `{"password":"cli-s2"}` {
		t.Errorf("get-secret-value = %q", out)
	}
	if out := run("get-secret-value", "--secret-id", "cli/db", "--version-stage", "AWSPREVIOUS", "--query", "[SecretString,VersionId]", "--output", "text"); strings.TrimSpace(out) != `{"password":"cli-s1"}`+"\t"+created.VersionId {
		t.Errorf("get-secret-value AWSPREVIOUS = %q", out)
	}
	run("delete-secret", "--secret-id", "cli/db", "--recovery-window-in-days", "7")
	fails("InvalidRequestException", "get-secret-value", "--secret-id", "cli/db")
	if out := run("describe-secret", "--secret-id", "cli/db", "--query", "DeletedDate"); strings.TrimSpace(out) == "null" {
		t.Errorf("describe-secret of a deleted secret has no DeletedDate")
	}
	run("restore-secret", "--secret-id", "cli/db")
	if out := run("get-secret-value", "--secret-id", "cli/db", "--query", "SecretString", "--output", "text"); !strings.Contains(out, "cli-s2") {
		t.Errorf("get-secret-value after restore-secret = %q", out)
	}
	fails("InvalidParameterException", "delete-secret", "--secret-id", "cli/db", "--recovery-window-in-days", "7", "--force-delete-without-recovery")
	run("delete-secret", "--secret-id", "cli/db", "--force-delete-without-recovery")
	fails("ResourceNotFoundException", "get-secret-value", "--secret-id", "cli/db")
	fails("ResourceNotFoundException", "restore-secret", "--secret-id", "cli/db")
}

// TestServerParameterStoreSDK uses the aws-sdk-go-v2 SSM client, its
// paginator and its typed errors.
func TestServerParameterStoreSDK(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := t.Context()
	c := srv.ssm()
	for _, name := range []string{"/sdk/a", "/sdk/b", "/sdk/c/d", "/sdk/c/e", "/other"} {
		if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("v" + name), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
			t.Fatalf("PutParameter(%s): %v", name, err)
		}
	}
	var got []string
	p := ssm.NewGetParametersByPathPaginator(c, &ssm.GetParametersByPathInput{Path: aws.String("/sdk"), Recursive: aws.Bool(true), WithDecryption: aws.Bool(true), MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, prm := range page.Parameters {
			got = append(got, aws.ToString(prm.Name)+"="+aws.ToString(prm.Value))
		}
	}
	if want := "/sdk/a=v/sdk/a /sdk/b=v/sdk/b /sdk/c/d=v/sdk/c/d /sdk/c/e=v/sdk/c/e"; strings.Join(got, " ") != want {
		t.Errorf("GetParametersByPath pages = %q, want %q", got, want)
	}
	out, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/sdk/a", "/nope", "/sdk/b:1"}, WithDecryption: aws.Bool(true)})
	if err != nil || len(out.Parameters) != 2 || len(out.InvalidParameters) != 1 || out.InvalidParameters[0] != "/nope" {
		t.Errorf("GetParameters = %+v, %v", out, err)
	}
	label, err := c.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/sdk/a"), Labels: []string{"live"}})
	if err != nil || label.ParameterVersion != 1 {
		t.Errorf("LabelParameterVersion = %+v, %v", label, err)
	}
	got1, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/sdk/a:live"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(got1.Parameter.Value) != "v/sdk/a" {
		t.Errorf("GetParameter(/sdk/a:live) = %+v, %v", got1, err)
	}
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/sdk/missing")})
	var nf *ssmtypes.ParameterNotFound
	if !errors.As(err, &nf) {
		t.Errorf("GetParameter of a missing parameter: %v, want *types.ParameterNotFound", err)
	}
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/sdk/a"), Value: aws.String("x"), Type: ssmtypes.ParameterTypeString})
	var exists *ssmtypes.ParameterAlreadyExists
	if !errors.As(err, &exists) {
		t.Errorf("PutParameter of an existing parameter: %v, want *types.ParameterAlreadyExists", err)
	}
	del, err := c.DeleteParameters(ctx, &ssm.DeleteParametersInput{Names: []string{"/sdk/a", "/nope"}})
	if err != nil || len(del.DeletedParameters) != 1 || len(del.InvalidParameters) != 1 {
		t.Errorf("DeleteParameters = %+v, %v", del, err)
	}
	desc, err := c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{{Key: aws.String("Path"), Option: aws.String("Recursive"), Values: []string{"/sdk/c"}}}})
	if err != nil || len(desc.Parameters) != 2 || aws.ToString(desc.Parameters[0].LastModifiedUser) != "arn:aws:iam::000000000000:user/admin" {
		t.Errorf("DescribeParameters = %+v, %v", desc, err)
	}
}

// TestServerSecretsManagerSDK uses the aws-sdk-go-v2 Secrets Manager
// client, which sends a ClientRequestToken of its own with every write.
func TestServerSecretsManagerSDK(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := t.Context()
	c := srv.secretsManager()
	created, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("sdk/db"), SecretString: aws.String("sdk-v1"),
		Tags: []smtypes.Tag{{Key: aws.String("team"), Value: aws.String("ci")}}})
	if err != nil {
		t.Fatal(err)
	}
	put, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: created.ARN, SecretBinary: []byte{0, 1, 2}})
	if err != nil || len(put.VersionStages) != 1 || put.VersionStages[0] != "AWSCURRENT" {
		t.Fatalf("PutSecretValue = %+v, %v", put, err)
	}
	v, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("sdk/db")})
	if err != nil || !bytes.Equal(v.SecretBinary, []byte{0, 1, 2}) || v.SecretString != nil {
		t.Errorf("GetSecretValue = %+v, %v", v, err)
	}
	v, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("sdk/db"), VersionId: created.VersionId})
	if err != nil || aws.ToString(v.SecretString) != "sdk-v1" {
		t.Errorf("GetSecretValue(VersionId) = %+v, %v", v, err)
	}
	up, err := c.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("sdk/db"), Description: aws.String("described")})
	if err != nil || up.VersionId != nil {
		t.Errorf("UpdateSecret of the description = %+v, %v", up, err)
	}
	d, err := c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("sdk/db")})
	if err != nil || aws.ToString(d.Description) != "described" || len(d.VersionIdsToStages) != 2 || len(d.Tags) != 1 {
		t.Errorf("DescribeSecret = %+v, %v", d, err)
	}
	for _, n := range []string{"sdk/b", "sdk/c"} {
		if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(n), SecretString: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	p := secretsmanager.NewListSecretsPaginator(c, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(1), SortBy: smtypes.SortByTypeName,
		Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"sdk/"}}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.SecretList {
			names = append(names, aws.ToString(e.Name))
		}
	}
	if strings.Join(names, " ") != "sdk/b sdk/c sdk/db" {
		t.Errorf("ListSecrets pages = %q", names)
	}
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("sdk/none")})
	var nf *smtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("GetSecretValue of a missing secret: %v, want *types.ResourceNotFoundException", err)
	}
	del, err := c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("sdk/db"), RecoveryWindowInDays: aws.Int64(10)})
	if err != nil || time.Until(aws.ToTime(del.DeletionDate)) < 9*24*time.Hour {
		t.Errorf("DeleteSecret = %+v, %v", del, err)
	}
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("sdk/db"), SecretString: aws.String("x")})
	var ir *smtypes.InvalidRequestException
	if !errors.As(err, &ir) {
		t.Errorf("PutSecretValue of a deleted secret: %v, want *types.InvalidRequestException", err)
	}
	if _, err := c.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String("sdk/db")}); err != nil {
		t.Error(err)
	}
}

// TestServerBuildSecrets runs a build whose buildspec and project read a
// SecureString and a secret, and checks that their values reach the build
// but not its log, the CloudWatch Logs API, BatchGetBuilds, the server's
// log or any file of the data directory.
func TestServerBuildSecrets(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := t.Context()
	const (
		token   = "tok-5e0c6a1f9b7d2e48"
		dbPass  = "pw-0b93c7d51e2a6f84"
		apiKey  = "key-7a4f1c9e3d2b8065"
		project = "secrets-demo"
	)
	values := []string{token, dbPass, apiKey}
	if _, err := srv.ssm().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/ci/api-token"), Value: aws.String(token), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.secretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("prod/db"),
		SecretString: aws.String(`{"user":"app","password":"` + dbPass + `"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.secretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("api-key"), SecretString: aws.String(apiKey)}); err != nil {
		t.Fatal(err)
	}
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	buildspec := `version: 0.2
env:
  parameter-store:
    API_TOKEN: /ci/api-token
  secrets-manager:
    DB_PASSWORD: prod/db:password
  exported-variables: [LEAK]
phases:
  build:
    commands:
      - echo "token is $API_TOKEN, password is $DB_PASSWORD, key is $API_KEY"
      - printf %s "$API_TOKEN" | sha256sum
      - printf %s "$DB_PASSWORD" | sha256sum
      - printf %s "$API_KEY" | sha256sum
      - printf %s "$TOKEN_AGAIN" | sha256sum
      - export LEAK="$DB_PASSWORD"
`
	cb := srv.codebuild()
	_, err := cb.CreateProject(ctx, &codebuild.CreateProjectInput{
		Name:      aws.String(project),
		Source:    &cbtypes.ProjectSource{Type: cbtypes.SourceTypeNoSource, Buildspec: aws.String(buildspec)},
		Artifacts: &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment: &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentTypeLinuxContainer, Image: aws.String("aws/codebuild/standard:7.0"),
			ComputeType: cbtypes.ComputeTypeBuildGeneral1Small, EnvironmentVariables: []cbtypes.EnvironmentVariable{
				{Name: aws.String("API_KEY"), Value: aws.String("api-key"), Type: cbtypes.EnvironmentVariableTypeSecretsManager},
				{Name: aws.String("TOKEN_AGAIN"), Value: aws.String("/ci/api-token:1"), Type: cbtypes.EnvironmentVariableTypeParameterStore},
			}},
		ServiceRole: aws.String("arn:aws:iam::000000000000:role/r"),
	})
	if err != nil {
		t.Fatal(err)
	}
	start, err := cb.StartBuild(ctx, &codebuild.StartBuildInput{ProjectName: aws.String(project)})
	if err != nil {
		t.Fatal(err)
	}
	b := waitBuild(t, cb, aws.ToString(start.Build.Id), 60*time.Second)
	log := logText(t, srv.logs(), b)
	if b.BuildStatus != cbtypes.StatusTypeSucceeded {
		t.Fatalf("build %s: %s\n%s", aws.ToString(b.Id), b.BuildStatus, log)
	}
	// The values reached the build: their hashes are in the log.
	for _, v := range []string{token, dbPass, apiKey} {
		if !strings.Contains(log, sum(v)) {
			t.Errorf("the log lacks the hash of a value the build should have had:\n%s", log)
		}
	}
	if !strings.Contains(log, "token is ***, password is ***, key is ***") {
		t.Errorf("the log does not show the masked values:\n%s", log)
	}
	// Nothing the API answers holds a value.
	filtered, err := srv.logs().FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: b.Logs.GroupName})
	if err != nil {
		t.Fatal(err)
	}
	answers := map[string]any{"GetLogEvents": log, "FilterLogEvents": filtered}
	out, err := awsCLI(t, srv, "codebuild", "batch-get-builds", "--ids", aws.ToString(b.Id))
	if err != nil {
		t.Fatalf("batch-get-builds: %v\n%s", err, out)
	}
	answers["BatchGetBuilds"] = out
	if !strings.Contains(out, `"value": "api-key"`) || !strings.Contains(out, `"type": "SECRETS_MANAGER"`) || !strings.Contains(out, `"value": "/ci/api-token:1"`) {
		t.Errorf("batch-get-builds does not show the project's variables by name:\n%s", out)
	}
	if len(b.ExportedEnvironmentVariables) != 1 || aws.ToString(b.ExportedEnvironmentVariables[0].Value) != "***" {
		t.Errorf("exported variable holding a secret = %+v, want ***", b.ExportedEnvironmentVariables)
	}
	for what, a := range answers {
		data, _ := json.Marshal(a)
		if s, ok := a.(string); ok {
			data = []byte(s)
		}
		for _, v := range values {
			if bytes.Contains(data, []byte(v)) {
				t.Errorf("%s answers a secret value", what)
			}
		}
	}

	// A missing parameter or secret fails the build with CodeBuild's
	// phase contexts.
	for _, tt := range []struct {
		env         cbtypes.EnvironmentVariable
		wantContext string
	}{
		{cbtypes.EnvironmentVariable{Name: aws.String("X"), Value: aws.String("/ci/missing"), Type: cbtypes.EnvironmentVariableTypeParameterStore}, "Decrypted Variables Error"},
		{cbtypes.EnvironmentVariable{Name: aws.String("X"), Value: aws.String("prod/missing"), Type: cbtypes.EnvironmentVariableTypeSecretsManager}, "Secrets Manager Error"},
		{cbtypes.EnvironmentVariable{Name: aws.String("X"), Value: aws.String("prod/db:nokey"), Type: cbtypes.EnvironmentVariableTypeSecretsManager}, "Secrets Manager Error"},
	} {
		start, err := cb.StartBuild(ctx, &codebuild.StartBuildInput{ProjectName: aws.String(project), EnvironmentVariablesOverride: []cbtypes.EnvironmentVariable{tt.env}})
		if err != nil {
			t.Fatal(err)
		}
		fb := waitBuild(t, cb, aws.ToString(start.Build.Id), 60*time.Second)
		var contexts []string
		for _, ph := range fb.Phases {
			for _, c := range ph.Contexts {
				contexts = append(contexts, aws.ToString(c.StatusCode)+": "+aws.ToString(c.Message))
			}
		}
		if fb.BuildStatus != cbtypes.StatusTypeFailed || !strings.Contains(strings.Join(contexts, "\n"), tt.wantContext) {
			t.Errorf("build with %s = %s, contexts %q; want FAILED with %s", aws.ToString(tt.env.Value), fb.BuildStatus, contexts, tt.wantContext)
		}
	}

	// Nor the server's log nor any file of the data directory holds a
	// value, once the server has stopped and SQLite has checkpointed.
	srv.stop()
	for _, v := range values {
		if strings.Contains(srv.stderr.String(), v) {
			t.Errorf("the server's log holds a secret value")
		}
	}
	err = filepath.WalkDir(srv.dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, v := range values {
			if bytes.Contains(data, []byte(v)) {
				t.Errorf("%s holds a secret value", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
