
use builtin;
use str;

set edit:completion:arg-completer[netlab] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'netlab'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'netlab'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand resolve 'Resolve names to addresses as the system does (/etc/hosts, then DNS), or ask a server'
            cand connect 'Probe TCP or UDP ports: open, closed, filtered or unreachable, with timings'
            cand ping 'Send ICMP echo requests to one or many hosts, with live rows and statistics'
            cand trace 'Trace the route to a host: parallel, adaptive hop discovery with UDP, ICMP or TCP'
            cand serve 'Serve TCP or UDP: echo, greet, answer from a template, count words, or chat'
            cand check 'Resolve, connect, ping and trace one target, and check that they agree'
            cand exporter 'Ping (and trace) targets continuously and serve Prometheus metrics; /probe for one-off probes'
            cand completions 'Print a shell completion script to stdout'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'netlab;resolve'= {
            cand -f 'Read names from FILE, one per line (''-'' for stdin; ''#'' starts a comment)'
            cand --file 'Read names from FILE, one per line (''-'' for stdin; ''#'' starts a comment)'
            cand -s 'Ask this DNS server directly instead of the system''s configuration'
            cand --server 'Ask this DNS server directly instead of the system''s configuration'
            cand -t 'Record type to ask for (default: A and AAAA, as getaddrinfo does)'
            cand --type 'Record type to ask for (default: A and AAAA, as getaddrinfo does)'
            cand -W 'Give up on a query after this long (default: the resolv.conf timeout, or 2s with --server)'
            cand --timeout 'Give up on a query after this long (default: the resolv.conf timeout, or 2s with --server)'
            cand --concurrency 'How many names to resolve at once with --file'
            cand --format 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report'
            cand --tcp 'Use TCP for DNS queries (UDP is used otherwise, with TCP on truncation)'
            cand --short 'Print only the values, one per line, as dig +short (CNAME targets, then the records)'
            cand -4 'Use IPv4 only'
            cand -6 'Use IPv6 only'
            cand --json 'Short for --format json'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netlab;connect'= {
            cand -p 'Ports: 22,80,8000-8100; ''-'' (as in -p-) for all 65535'
            cand --port 'Ports: 22,80,8000-8100; ''-'' (as in -p-) for all 65535'
            cand -w 'How long to wait for a handshake or an answer'
            cand --timeout 'How long to wait for a handshake or an answer'
            cand -c 'Probe COUNT times and print statistics (single port only)'
            cand --count 'Probe COUNT times and print statistics (single port only)'
            cand -i 'Time between repeated probes'
            cand --interval 'Time between repeated probes'
            cand --send 'Send TEXT once connected (escapes: \n \r \t \\ \xNN), then read the answer'
            cand --send-file 'Send the contents of FILE once connected (streamed as it is read; UDP: at most one datagram)'
            cand --eol 'What ends the text sent: --send adds none, --interactive lf (none: `bye`, not `bye\n`)'
            cand --recv-bytes 'Stop reading the answer after N bytes'
            cand --expect 'Exit 1 unless the answer contains TEXT (escapes as for --send)'
            cand --expect-regex 'Exit 1 unless the answer matches the regular expression RE'
            cand --concurrency 'Probes in flight at once when scanning (default: as many as the open-file limit allows)'
            cand --format 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report'
            cand -X 'URLs: the request method (default GET; POST with --data; HEAD with --head)'
            cand --request 'URLs: the request method (default GET; POST with --data; HEAD with --head)'
            cand -H 'URLs: add a request header ''Name: value'' (repeat for more)'
            cand --header 'URLs: add a request header ''Name: value'' (repeat for more)'
            cand -d 'URLs: send DATA as the request body (POST unless -X names another method)'
            cand --data 'URLs: send DATA as the request body (POST unless -X names another method)'
            cand --sni 'TLS: the server name sent in the handshake and checked against the certificate'
            cand --resolve 'URLs and TLS: use ADDR for HOST:PORT instead of looking the name up, as curl --resolve (repeat for more)'
            cand --expect-status 'URLs: a request is answered only with this status (default: any status below 400)'
            cand --cacert 'TLS: trust the CA certificates of this PEM file as well as the system''s'
            cand --plot 'URLs with -c: draw each attempt''s phases stacked, into FILE (.svg or .png)'
            cand -u 'Probe UDP instead of TCP (open: a reply came; closed: ICMP port unreachable)'
            cand --udp 'Probe UDP instead of TCP (open: a reply came; closed: ICMP port unreachable)'
            cand -N 'Shut the write side after sending, as `nc -N` does: a server that reads to the end answers and closes at once'
            cand --shutdown 'Shut the write side after sending, as `nc -N` does: a server that reads to the end answers and closes at once'
            cand -4 'Use IPv4 only'
            cand -6 'Use IPv6 only'
            cand --json 'Short for --format json'
            cand --tls 'TLS handshake only, on HOST:PORT (any TLS service): version, cipher, ALPN, the chain and whether it verifies'
            cand -L 'URLs: follow redirects, each hop shown (at most 10), as curl -L'
            cand --location 'URLs: follow redirects, each hop shown (at most 10), as curl -L'
            cand --head 'URLs: send HEAD (curl''s -I; long form only, as -I is ping''s interface and trace''s ICMP)'
            cand --http1.1 'URLs: speak HTTP/1.1 only'
            cand --http2 'URLs: speak HTTP/2 (chosen by ALPN over TLS; with prior knowledge over http://)'
            cand -k 'TLS: go on when the chain does not verify (it is still shown, and said not to verify)'
            cand --insecure 'TLS: go on when the chain does not verify (it is still shown, and said not to verify)'
            cand --interactive 'Talk: send lines typed on stdin, print the server''s lines, until either side closes or says `bye`'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netlab;ping'= {
            cand --file 'Read targets from FILE, one per line (''-'' for stdin; ''#'' starts a comment)'
            cand -c 'Stop after COUNT probes per target (default: until Ctrl-C or the deadline)'
            cand --count 'Stop after COUNT probes per target (default: until Ctrl-C or the deadline)'
            cand --probe-interface 'Ask the router (one address) about one of its interfaces with RFC 8335 probes: is it up, which families run on it (needs CAP_NET_RAW)'
            cand -i 'Time between probes to a target (at least 2ms without CAP_NET_RAW) [default: 1s; 10ms with -f]'
            cand --interval 'Time between probes to a target (at least 2ms without CAP_NET_RAW) [default: 1s; 10ms with -f]'
            cand -W 'How long to wait for each reply before counting it lost (later ones count as late)'
            cand --timeout 'How long to wait for each reply before counting it lost (later ones count as late)'
            cand -w 'Stop after this long, whatever has been sent or received (with -c: until COUNT replies)'
            cand --deadline 'Stop after this long, whatever has been sent or received (with -c: until COUNT replies)'
            cand -s 'ICMP data bytes per probe'
            cand --size 'ICMP data bytes per probe'
            cand -t 'Time to live (IPv6: hop limit) of the probes, 1-255'
            cand --ttl 'Time to live (IPv6: hop limit) of the probes, 1-255'
            cand -I 'Send from this interface (SO_BINDTODEVICE) or source address'
            cand --interface 'Send from this interface (SO_BINDTODEVICE) or source address'
            cand -p 'Fill the probe data with this pattern of up to 16 hex bytes (e.g. ff00)'
            cand --pattern 'Fill the probe data with this pattern of up to 16 hex bytes (e.g. ff00)'
            cand -M 'Path-MTU discovery: do (DF set, never fragment), want, dont (no DF), probe (DF, ignore the path MTU)'
            cand --pmtudisc 'Path-MTU discovery: do (DF set, never fragment), want, dont (no DF), probe (DF, ignore the path MTU)'
            cand -Q 'TOS (IPv6: traffic class): 0-255, decimal or 0x hex, or a DSCP name (EF, AF11-AF43, CS0-CS7)'
            cand --tos 'TOS (IPv6: traffic class): 0-255, decimal or 0x hex, or a DSCP name (EF, AF11-AF43, CS0-CS7)'
            cand -l 'Send this many probes at once before waiting (more than 3 needs CAP_NET_RAW)'
            cand --preload 'Send this many probes at once before waiting (more than 3 needs CAP_NET_RAW)'
            cand -m 'Firewall mark of the probes (SO_MARK; needs CAP_NET_ADMIN)'
            cand --mark 'Firewall mark of the probes (SO_MARK; needs CAP_NET_ADMIN)'
            cand --format 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report'
            cand --plot 'Draw RTT per probe over time (losses marked) and the RTT histogram into FILE (.svg or .png)'
            cand -q 'Print only the summary, not a row per reply'
            cand --quiet 'Print only the summary, not a row per reply'
            cand -n 'Show addresses only (no reverse DNS names)'
            cand --numeric 'Show addresses only (no reverse DNS names)'
            cand -f 'Flood: send as fast as replies come back, at least every 10ms; print . per probe and a backspace per reply (CAP_NET_RAW)'
            cand --flood 'Flood: send as fast as replies come back, at least every 10ms; print . per probe and a backspace per reply (CAP_NET_RAW)'
            cand -A 'Adaptive: send the next probe as soon as the reply comes (at most -i apart; at least 200ms without CAP_NET_RAW)'
            cand --adaptive 'Adaptive: send the next probe as soon as the reply comes (at most -i apart; at least 200ms without CAP_NET_RAW)'
            cand -D 'Print the Unix time before each row'
            cand --timestamps 'Print the Unix time before each row'
            cand -O 'Say "no answer yet" when a probe is still unanswered as the next one goes out'
            cand --report-outstanding 'Say "no answer yet" when a probe is still unanswered as the next one goes out'
            cand -b 'Allow pinging a broadcast address'
            cand --broadcast 'Allow pinging a broadcast address'
            cand -4 'Use IPv4 only'
            cand -6 'Use IPv6 only'
            cand --json 'Short for --format json'
            cand --watch 'Full-screen live chart and table of every target on a terminal (keys: q quit, p pause, r reset, +/- window, l log, n names); the usual rows (NDJSON with --json) otherwise'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netlab;trace'= {
            cand -p 'Destination port (UDP default 33434, TCP default 80); the same for every probe'
            cand --port 'Destination port (UDP default 33434, TCP default 80); the same for every probe'
            cand -m 'Largest TTL (hop limit) to probe'
            cand --max-hops 'Largest TTL (hop limit) to probe'
            cand -f 'TTL of the first hop to probe'
            cand --first 'TTL of the first hop to probe'
            cand -q 'Probes per hop (default 3; 1 per round with -c or --watch)'
            cand --queries 'Probes per hop (default 3; 1 per round with -c or --watch)'
            cand -w 'The longest a probe waits for its answer (most wait far less: see the README)'
            cand --wait 'The longest a probe waits for its answer (most wait far less: see the README)'
            cand -s 'Source address of the probes'
            cand --source 'Source address of the probes'
            cand --interface 'Send the probes through this interface (SO_BINDTODEVICE; traceroute''s -i, which is the interval here)'
            cand -t 'TOS (IPv6: traffic class): 0-255, decimal or 0x hex, or a DSCP name (EF, AF11-AF43, CS0-CS7)'
            cand --tos 'TOS (IPv6: traffic class): 0-255, decimal or 0x hex, or a DSCP name (EF, AF11-AF43, CS0-CS7)'
            cand -N 'Probes in flight at once [default: 16]'
            cand --sim-queries 'Probes in flight at once [default: 16]'
            cand --asn-zone 'The zone -A asks: origin.ZONE, origin6.ZONE and AS<n>.ZONE'
            cand --format 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report'
            cand --plot 'Draw RTT per hop and the unanswered probes per hop into FILE (.svg or .png), over the rounds with -c/--watch'
            cand -c 'Trace N rounds over every hop, then print per-hop statistics (like mtr -r -c N)'
            cand --cycles 'Trace N rounds over every hop, then print per-hop statistics (like mtr -r -c N)'
            cand -i 'Time between round starts with -c or --watch (below 2ms needs CAP_NET_RAW, as ping''s -i)'
            cand --interval 'Time between round starts with -c or --watch (below 2ms needs CAP_NET_RAW, as ping''s -i)'
            cand -o 'Statistics columns, comma-separated, as mtr -o (see the README; e.g. loss,sent,avg,worst,kind)'
            cand --fields 'Statistics columns, comma-separated, as mtr -o (see the README; e.g. loss,sent,avg,worst,kind)'
            cand --flows 'Probe N flows side by side (different flow identifiers), to see every load-balanced path'
            cand -I 'Probe with ICMP echo requests'
            cand --icmp 'Probe with ICMP echo requests'
            cand -U 'Probe with UDP datagrams to one fixed port (the default)'
            cand --udp 'Probe with UDP datagrams to one fixed port (the default)'
            cand -T 'Probe with TCP SYNs (connect attempts) to one port'
            cand --tcp 'Probe with TCP SYNs (connect attempts) to one port'
            cand -n 'Show addresses only (no reverse DNS names)'
            cand --numeric 'Show addresses only (no reverse DNS names)'
            cand -F 'Don''t fragment: set DF (IPv6: never fragment locally); a hop behind a smaller MTU answers !F'
            cand --dont-fragment 'Don''t fragment: set DF (IPv6: never fragment locally); a hop behind a smaller MTU answers !F'
            cand --mtu 'Discover the path MTU along the trace (traceroute --mtu, tracepath): probes start at the route''s MTU with DF, and shrink where a router says the next link is smaller'
            cand --back 'Show the number of hops back where it differs from the hops forward, guessed from each answer''s TTL (traceroute --back, tracepath''s asymm)'
            cand -A 'Show the AS number, prefix and AS name of every hop, from DNS TXT records in Team Cymru''s format (mtr -z, traceroute -A)'
            cand --asn 'Show the AS number, prefix and AS name of every hop, from DNS TXT records in Team Cymru''s format (mtr -z, traceroute -A)'
            cand -4 'Use IPv4 only'
            cand -6 'Use IPv6 only'
            cand --json 'Short for --format json'
            cand --watch 'Keep tracing round after round until Ctrl-C (or -c N rounds): one line (NDJSON with --json) per round when stdout is not a terminal'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netlab;serve'= {
            cand --banner 'Greet each client with TEXT and a newline, then close (escapes: \n \r \t \\ \xNN)'
            cand --reply 'Answer each line with TEMPLATE: {line} the line, {peer} the client, {{ }} braces'
            cand --eol 'With --chat: what ends each typed line sent to the client (none: `bye`, not `bye\n`)'
            cand --idle-timeout 'Close a connection after this long without data in either direction'
            cand --max-connections 'Connections served at once; more are closed at once and logged as refused [default: 256, 1 with --chat]'
            cand --max-line 'Longest line in bytes (newline included); a longer one ends the connection'
            cand --format 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report'
            cand --echo 'Send back every byte received, as it arrives (the default)'
            cand --words 'Answer each line with its unique words (first-seen order) and its length in characters'
            cand --chat 'Print what the client sends as it arrives, send lines typed on stdin; `bye` from either side ends it'
            cand -u 'Serve UDP datagrams (echo, banner, reply, words): one answer per datagram'
            cand --udp 'Serve UDP datagrams (echo, banner, reply, words): one answer per datagram'
            cand -4 'Use IPv4 only'
            cand -6 'Use IPv6 only'
            cand --json 'Short for --format json'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netlab;check'= {
            cand -p 'TCP port to connect to [default: 80]'
            cand --port 'TCP port to connect to [default: 80]'
            cand --format 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report'
            cand --plot 'Draw the four parts and the verdict on one page into FILE (.svg or .png)'
            cand --report 'Write the lab report into DIR: report.md with every table, and the pictures beside it'
            cand -4 'Use IPv4 only'
            cand -6 'Use IPv6 only'
            cand --json 'Short for --format json'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netlab;exporter'= {
            cand --listen 'Address to serve /metrics and /probe on [default: 127.0.0.1:9470, or the config''s listen]'
            cand --config 'Configuration file (TOML): targets, intervals, what /probe may probe'
            cand --probe-any-target 'Let /probe probe any target, not only the ones the config allows (turns the port into a prober for whoever reaches it)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netlab;completions'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'netlab;help'= {
            cand resolve 'Resolve names to addresses as the system does (/etc/hosts, then DNS), or ask a server'
            cand connect 'Probe TCP or UDP ports: open, closed, filtered or unreachable, with timings'
            cand ping 'Send ICMP echo requests to one or many hosts, with live rows and statistics'
            cand trace 'Trace the route to a host: parallel, adaptive hop discovery with UDP, ICMP or TCP'
            cand serve 'Serve TCP or UDP: echo, greet, answer from a template, count words, or chat'
            cand check 'Resolve, connect, ping and trace one target, and check that they agree'
            cand exporter 'Ping (and trace) targets continuously and serve Prometheus metrics; /probe for one-off probes'
            cand completions 'Print a shell completion script to stdout'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'netlab;help;resolve'= {
        }
        &'netlab;help;connect'= {
        }
        &'netlab;help;ping'= {
        }
        &'netlab;help;trace'= {
        }
        &'netlab;help;serve'= {
        }
        &'netlab;help;check'= {
        }
        &'netlab;help;exporter'= {
        }
        &'netlab;help;completions'= {
        }
        &'netlab;help;help'= {
        }
    ]
    $completions[$command]
}
