// Command peer is the Go peer of bench/admission.sh: a lean Go 1.19 mutating webhook written
// the usual way (net/http + crypto/tls + encoding/json, standard library only) that performs
// the same mutation as gomemlimit-webhook's default policy on a Pod CREATE, so the two can be
// compared on the same AdmissionReview.
//
//	peer -cert tls.crt -key tls.key [-log=true]   (listens on 127.0.0.1:0, prints "port N")
//
// What it does, for each container with resources.limits.memory:
//   - GOMEMLIMIT = floor(limit * 0.9) in MiB, written "<n>MiB"; GOGC = 100, each appended to
//     env unless the container already sets it (env added whole when absent);
//   - resources.requests.memory raised to "<n>Mi" when it is lower (added when absent);
//   - a gomemlimit.io/status annotation {"<container>":{"GOMEMLIMIT":..,"GOGC":..},..};
//   - one warning per container and an "injected" audit annotation; one JSON log line per
//     admission on stdout (like the webhook's info log).
//
// What it does not do (it is a peer, not a clone): opt-in/opt-out annotations, per-container
// overrides, the ratio/GOGC config file, initContainers, envFrom checks, denial of invalid
// annotations, v1beta1, exact Kubernetes quantity grammar (it accepts integers with an
// optional binary or decimal suffix, which covers the benchmark reviews).
package main

import (
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

type envVar struct {
	Name string `json:"name"`
}

type container struct {
	Name      string   `json:"name"`
	Env       []envVar `json:"env"`
	Resources struct {
		Limits   map[string]string `json:"limits"`
		Requests map[string]string `json:"requests"`
	} `json:"resources"`
}

type review struct {
	APIVersion string `json:"apiVersion"`
	Request    *struct {
		UID       string `json:"uid"`
		Operation string `json:"operation"`
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
		Resource  struct {
			Group    string `json:"group"`
			Version  string `json:"version"`
			Resource string `json:"resource"`
		} `json:"resource"`
		SubResource string `json:"subResource"`
		Object      struct {
			Metadata struct {
				Name         string            `json:"name"`
				GenerateName string            `json:"generateName"`
				Annotations  map[string]string `json:"annotations"`
			} `json:"metadata"`
			Spec struct {
				Containers []container `json:"containers"`
			} `json:"spec"`
		} `json:"object"`
	} `json:"request"`
}

type patchOp struct {
	Op    string      `json:"op"`
	Path  string      `json:"path"`
	Value interface{} `json:"value"`
}

type response struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Response   struct {
		UID              string            `json:"uid"`
		Allowed          bool              `json:"allowed"`
		PatchType        string            `json:"patchType,omitempty"`
		Patch            []byte            `json:"patch,omitempty"`
		Warnings         []string          `json:"warnings,omitempty"`
		AuditAnnotations map[string]string `json:"auditAnnotations,omitempty"`
	} `json:"response"`
}

// quantity parses "<int>[Ki|Mi|Gi|Ti|k|M|G|T]" into bytes.
func quantity(s string) (int64, bool) {
	mult := int64(1)
	for _, u := range []struct {
		s string
		m int64
	}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
		{"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}} {
		if strings.HasSuffix(s, u.s) {
			s, mult = strings.TrimSuffix(s, u.s), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n * mult, true
}

type statusEntry struct {
	GOMEMLIMIT string `json:"GOMEMLIMIT"`
	GOGC       string `json:"GOGC"`
}

func mutate(rv *review, out *response) {
	req := rv.Request
	pod := &req.Object
	var ops []patchOp
	status := map[string]statusEntry{}
	var injected []string
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		limit, ok := quantity(c.Resources.Limits["memory"])
		if !ok || limit == 0 {
			continue
		}
		mib := limit * 9 / 10 >> 20
		gml := strconv.FormatInt(mib, 10) + "MiB"
		base := "/spec/containers/" + strconv.Itoa(i)
		vars := []map[string]string{}
		has := map[string]bool{}
		for _, e := range c.Env {
			has[e.Name] = true
		}
		for _, kv := range [][2]string{{"GOMEMLIMIT", gml}, {"GOGC", "100"}} {
			if !has[kv[0]] {
				vars = append(vars, map[string]string{"name": kv[0], "value": kv[1]})
			}
		}
		if c.Env == nil && len(vars) > 0 {
			ops = append(ops, patchOp{"add", base + "/env", vars})
		} else {
			for _, v := range vars {
				ops = append(ops, patchOp{"add", base + "/env/-", v})
			}
		}
		reqText := c.Resources.Requests["memory"]
		cur, curOK := quantity(reqText)
		want := strconv.FormatInt(mib, 10) + "Mi"
		change := "requests.memory unchanged"
		if c.Resources.Requests == nil {
			ops = append(ops, patchOp{"add", base + "/resources/requests", map[string]string{"memory": want}})
			change = "request none -> " + want
		} else if !curOK || cur < mib<<20 {
			op := "replace"
			if reqText == "" {
				op = "add"
			}
			ops = append(ops, patchOp{op, base + "/resources/requests/memory", want})
			change = "request " + reqText + " -> " + want
		}
		status[c.Name] = statusEntry{gml, "100"}
		injected = append(injected, c.Name+"="+gml)
		out.Response.Warnings = append(out.Response.Warnings, fmt.Sprintf(
			"gomemlimit: container %s: GOMEMLIMIT=%s (90%% of %s), GOGC=100, %s",
			c.Name, gml, c.Resources.Limits["memory"], change))
	}
	if len(ops) == 0 {
		return
	}
	st, _ := json.Marshal(status)
	if pod.Metadata.Annotations == nil {
		ops = append(ops, patchOp{"add", "/metadata/annotations", map[string]string{"gomemlimit.io/status": string(st)}})
	} else {
		ops = append(ops, patchOp{"add", "/metadata/annotations/gomemlimit.io~1status", string(st)})
	}
	out.Response.Patch, _ = json.Marshal(ops)
	out.Response.PatchType = "JSONPatch"
	out.Response.AuditAnnotations = map[string]string{"injected": strings.Join(injected, ",")}
}

type logLine struct {
	Time       string  `json:"time"`
	Level      string  `json:"level"`
	Msg        string  `json:"msg"`
	UID        string  `json:"uid"`
	Namespace  string  `json:"namespace"`
	Name       string  `json:"name"`
	Operation  string  `json:"operation"`
	Decision   string  `json:"decision"`
	Containers int     `json:"containers"`
	Status     int     `json:"status"`
	DurationMs float64 `json:"durationMs"`
}

func main() {
	cert := flag.String("cert", "", "PEM certificate")
	key := flag.String("key", "", "PEM key")
	logOn := flag.Bool("log", true, "one JSON line per admission on stdout")
	flag.Parse()
	pair, err := tls.LoadX509KeyPair(*cert, *key)
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/mutate", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if r.Method != http.MethodPost {
			http.Error(w, `{"error":"use POST"}`, http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 3<<20))
		var rv review
		if err == nil {
			err = json.Unmarshal(body, &rv)
		}
		if err != nil || rv.Request == nil {
			http.Error(w, `{"error":"not an AdmissionReview"}`, http.StatusBadRequest)
			return
		}
		var out response
		out.APIVersion, out.Kind = "admission.k8s.io/v1", "AdmissionReview"
		out.Response.UID, out.Response.Allowed = rv.Request.UID, true
		rq := rv.Request
		decision := "allowed"
		if rq.Operation == "CREATE" && rq.Resource.Resource == "pods" && rq.SubResource == "" {
			mutate(&rv, &out)
			if out.Response.Patch != nil {
				decision = "patched"
			}
		}
		answer, _ := json.Marshal(&out)
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
		if *logOn {
			name := rq.Name
			if name == "" {
				name = rq.Object.Metadata.Name
			}
			if name == "" {
				name = rq.Object.Metadata.GenerateName
			}
			line, _ := json.Marshal(logLine{time.Now().UTC().Format(time.RFC3339Nano), "info",
				"admission", rq.UID, rq.Namespace, name, rq.Operation, decision,
				len(rq.Object.Spec.Containers), 200,
				float64(time.Since(start).Microseconds()) / 1000})
			os.Stdout.Write(append(line, '\n'))
		}
	})
	fmt.Fprintf(os.Stderr, "port %d\n", ln.Addr().(*net.TCPAddr).Port)
	srv := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair},
		MinVersion: tls.VersionTLS12}}
	fmt.Fprintln(os.Stderr, srv.ServeTLS(ln, "", ""))
	os.Exit(1)
}
