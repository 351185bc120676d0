// A stand-in for go-llm and Ollama's own Go client (api/client.go): it reads /api/chat NDJSON with
// bufio.Scanner, one JSON object per line, and fails on anything else, an empty line included.
// Usage: go run . http://127.0.0.1:PORT MODEL PROMPT
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
)

type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatChunk struct {
	Model     string  `json:"model"`
	Message   message `json:"message"`
	Done      bool    `json:"done"`
	EvalCount int     `json:"eval_count"`
	Error     string  `json:"error"`
}

// Ollama's client allows lines up to this long.
const maxLine = 8 * 1024 * 1024

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: go-client BASE MODEL PROMPT")
		os.Exit(2)
	}
	body, _ := json.Marshal(map[string]any{
		"model":    os.Args[2],
		"messages": []message{{Role: "user", Content: os.Args[3]}},
		"stream":   true,
	})
	req, _ := http.NewRequest(http.MethodPost, os.Args[1]+"/api/chat", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/x-ndjson")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fail("request: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 400 {
		var e chatChunk
		_ = json.NewDecoder(res.Body).Decode(&e)
		fail("status %d: %s", res.StatusCode, e.Error)
	}
	scanner := bufio.NewScanner(res.Body)
	scanner.Buffer(make([]byte, 0, 512*1024), maxLine)
	lines, text := 0, ""
	var last chatChunk
	for scanner.Scan() {
		var c chatChunk
		if err := json.Unmarshal(scanner.Bytes(), &c); err != nil {
			fail("line %d is not JSON (%v): %q", lines+1, err, scanner.Text())
		}
		if c.Error != "" {
			fail("stream error: %s", c.Error)
		}
		lines++
		text += c.Message.Content
		last = c
	}
	if err := scanner.Err(); err != nil {
		fail("scanner: %v", err)
	}
	if !last.Done {
		fail("stream ended without done")
	}
	out, _ := json.Marshal(map[string]any{"lines": lines, "text": text, "eval_count": last.EvalCount, "content_type": res.Header.Get("Content-Type")})
	fmt.Println(string(out))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}
