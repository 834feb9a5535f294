
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
            cand --format 'How to print the result: a table for people, or one JSON document for scripts'
            cand --tcp 'Use TCP for DNS queries (UDP is used otherwise, with TCP on truncation)'
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
            cand --send 'Send TEXT once connected (escapes: \n \r \t \\ \xNN)'
            cand --send-file 'Send the contents of FILE once connected'
            cand --recv-bytes 'Stop reading the answer after N bytes'
            cand --expect 'Exit 1 unless the answer contains TEXT (escapes as for --send)'
            cand --expect-regex 'Exit 1 unless the answer matches the regular expression RE'
            cand --concurrency 'Probes in flight at once when scanning (default: as many as the open-file limit allows)'
            cand --format 'How to print the result: a table for people, or one JSON document for scripts'
            cand -u 'Probe UDP instead of TCP (open: a reply came; closed: ICMP port unreachable)'
            cand --udp 'Probe UDP instead of TCP (open: a reply came; closed: ICMP port unreachable)'
            cand -4 'Use IPv4 only'
            cand -6 'Use IPv6 only'
            cand --json 'Short for --format json'
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
            cand -i 'Time between probes to a target (at least 2ms without CAP_NET_RAW)'
            cand --interval 'Time between probes to a target (at least 2ms without CAP_NET_RAW)'
            cand -W 'How long to wait for each reply before counting it lost (later ones count as late)'
            cand --timeout 'How long to wait for each reply before counting it lost (later ones count as late)'
            cand -w 'Stop after this long, whatever has been sent or received (with -c: until COUNT replies)'
            cand --deadline 'Stop after this long, whatever has been sent or received (with -c: until COUNT replies)'
            cand -s 'ICMP data bytes per probe'
            cand --size 'ICMP data bytes per probe'
            cand -t 'Time to live (IPv6: hop limit) of the probes, 1-255'
            cand --ttl 'Time to live (IPv6: hop limit) of the probes, 1-255'
            cand --format 'How to print the result: a table for people, or one JSON document for scripts'
            cand -q 'Print only the summary, not a row per reply'
            cand --quiet 'Print only the summary, not a row per reply'
            cand -n 'Show addresses only (no reverse DNS names)'
            cand --numeric 'Show addresses only (no reverse DNS names)'
            cand -4 'Use IPv4 only'
            cand -6 'Use IPv6 only'
            cand --json 'Short for --format json'
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
            cand --format 'How to print the result: a table for people, or one JSON document for scripts'
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
            cand --idle-timeout 'Close a connection after this long without data in either direction'
            cand --max-connections 'Connections served at once; more are closed at once and logged as refused [default: 256, 1 with --chat]'
            cand --max-line 'Longest line in bytes (newline included); a longer one ends the connection'
            cand --format 'How to print the result: a table for people, or one JSON document for scripts'
            cand --echo 'Send back every byte received, as it arrives (the default)'
            cand --words 'Answer each line with its unique words (first-seen order) and its length in characters'
            cand --chat 'Print the client''s lines, send lines typed on stdin; `bye` from either side ends it'
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
            cand --format 'How to print the result: a table for people, or one JSON document for scripts'
            cand -4 'Use IPv4 only'
            cand -6 'Use IPv6 only'
            cand --json 'Short for --format json'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
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
        &'netlab;help;completions'= {
        }
        &'netlab;help;help'= {
        }
    ]
    $completions[$command]
}
