# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_netlab_global_optspecs
    string join \n h/help V/version
end

function __fish_netlab_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_netlab_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_netlab_using_subcommand
    set -l cmd (__fish_netlab_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c netlab -n "__fish_netlab_needs_command" -s h -l help -d 'Print help'
complete -c netlab -n "__fish_netlab_needs_command" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "resolve" -d 'Resolve names to addresses as the system does (/etc/hosts, then DNS), or ask a server'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "connect" -d 'Probe TCP or UDP ports: open, closed, filtered or unreachable, with timings'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "ping" -d 'Send ICMP echo requests to one or many hosts, with live rows and statistics'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "trace" -d 'Trace the route to a host: parallel, adaptive hop discovery with UDP, ICMP or TCP'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "serve" -d 'Serve TCP or UDP: echo, greet, answer from a template, count words, or chat'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "check" -d 'Resolve, connect, ping and trace one target, and check that they agree'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "exporter" -d 'Ping (and trace) targets continuously and serve Prometheus metrics; /probe for one-off probes'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c netlab -n "__fish_netlab_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -s f -l file -d 'Read names from FILE, one per line (\'-\' for stdin; \'#\' starts a comment)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -s s -l server -d 'Ask this DNS server directly instead of the system\'s configuration' -r
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -s t -l type -d 'Record type to ask for (default: A and AAAA, as getaddrinfo does)' -r -f -a "A\t''
AAAA\t''
CNAME\t''
MX\t''
NS\t''
TXT\t''
SOA\t''
SRV\t''
PTR\t''
CAA\t''
HTTPS\t''
SVCB\t''
DS\t''
DNSKEY\t''
TLSA\t''
SSHFP\t''
NAPTR\t''
ANY\t'Every record a server still gives for ANY (many answer RFC 8482\'s HINFO instead)'"
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -s W -l timeout -d 'Give up on a query after this long (default: the resolv.conf timeout, or 2s with --server)' -r
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -l concurrency -d 'How many names to resolve at once with --file' -r
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -l format -d 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report' -r -f -a "table\t'Aligned tables and rows for people'
json\t'One JSON document on stdout when the command ends'
markdown\t'The tables as GitHub-flavoured markdown, below the command line and the time'
atlas\t'RIPE Atlas measurement results (ping, trace, resolve), a JSON array'
csv\t'Comma-separated values with a header row (trace -c and --watch only)'"
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -l tcp -d 'Use TCP for DNS queries (UDP is used otherwise, with TCP on truncation)'
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -l short -d 'Print only the values, one per line, as dig +short (CNAME targets, then the records)'
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -s 4 -d 'Use IPv4 only'
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -s 6 -d 'Use IPv6 only'
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -l json -d 'Short for --format json'
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand resolve" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l file -d 'Read targets (host:port, or hosts, addresses and ranges with -p) from FILE, one per line (\'-\' for stdin; \'#\' starts a comment)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l max-targets -d 'Refuse ranges and files that add up to more targets than N, before anything is sent' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s p -l port -d 'Ports: 22,80,8000-8100; \'-\' (as in -p-) for all 65535' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s w -l timeout -d 'How long to wait for a handshake or an answer' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s c -l count -d 'Probe COUNT times and print statistics (single port only)' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s i -l interval -d 'Time between repeated probes' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l send -d 'Send TEXT once connected (escapes: \\n \\r \\t \\\\ \\xNN), then read the answer' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l send-file -d 'Send the contents of FILE once connected (streamed as it is read; UDP: at most one datagram)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l eol -d 'What ends the text sent: --send adds none, --interactive lf (none: `bye`, not `bye\\n`)' -r -f -a "none\t'Nothing: the text is the message (as the lab\'s Python clients send)'
lf\t'A newline'
crlf\t'Carriage return and newline (telnet, HTTP, SMTP)'"
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l recv-bytes -d 'Stop reading the answer after N bytes' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l expect -d 'Exit 1 unless the answer contains TEXT (escapes as for --send)' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l expect-regex -d 'Exit 1 unless the answer matches the regular expression RE' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l rate -d 'With --syn: the most SYNs a second (default 10000); lowered when answers are lost, raised back as they return' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l concurrency -d 'Probes in flight at once when scanning (default: as many as the open-file limit allows)' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l format -d 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report' -r -f -a "table\t'Aligned tables and rows for people'
json\t'One JSON document on stdout when the command ends'
markdown\t'The tables as GitHub-flavoured markdown, below the command line and the time'
atlas\t'RIPE Atlas measurement results (ping, trace, resolve), a JSON array'
csv\t'Comma-separated values with a header row (trace -c and --watch only)'"
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s X -l request -d 'URLs: the request method (default GET; POST with --data; HEAD with --head)' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s H -l header -d 'URLs: add a request header \'Name: value\' (repeat for more)' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s d -l data -d 'URLs: send DATA as the request body (POST unless -X names another method)' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l sni -d 'TLS: the server name sent in the handshake and checked against the certificate' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l resolve -d 'URLs and TLS: use ADDR for HOST:PORT instead of looking the name up, as curl --resolve (repeat for more)' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l expect-status -d 'URLs: a request is answered only with this status (default: any status below 400)' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l cacert -d 'TLS: trust the CA certificates of this PEM file as well as the system\'s' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l plot -d 'URLs with -c: draw each attempt\'s phases stacked, into FILE (.svg or .png)' -r
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s u -l udp -d 'Probe UDP instead of TCP (open: a reply came; closed: ICMP port unreachable)'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s N -l shutdown -d 'Shut the write side after sending, as `nc -N` does: a server that reads to the end answers and closes at once'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l syn -d 'SYN ("half-open") scan with raw packets, as nmap -sS (needs CAP_NET_RAW): a SYN-ACK is open, a RST closed, silence after one retry filtered. No connection is completed: the kernel\'s own RST to the SYN-ACK ends the half-open connection'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s 4 -d 'Use IPv4 only'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s 6 -d 'Use IPv6 only'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l json -d 'Short for --format json'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l tls -d 'TLS handshake only, on HOST:PORT (any TLS service): version, cipher, ALPN, the chain and whether it verifies'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s L -l location -d 'URLs: follow redirects, each hop shown (at most 10), as curl -L'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l head -d 'URLs: send HEAD (curl\'s -I; long form only, as -I is ping\'s interface and trace\'s ICMP)'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l http1.1 -d 'URLs: speak HTTP/1.1 only'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l http2 -d 'URLs: speak HTTP/2 (chosen by ALPN over TLS; with prior knowledge over http://)'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s k -l insecure -d 'TLS: go on when the chain does not verify (it is still shown, and said not to verify)'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -l interactive -d 'Talk: send lines typed on stdin, print the server\'s lines, until either side closes or says `bye`'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand connect" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand ping" -l file -d 'Read targets (hosts, addresses, ranges) from FILE, one per line (\'-\' for stdin; \'#\' starts a comment)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand ping" -l max-targets -d 'Refuse ranges and files that add up to more targets than N, before anything is sent' -r
complete -c netlab -n "__fish_netlab_using_subcommand ping" -l rate -d 'Sweep: probes per second across all targets (default 1000 for a sweep)' -r
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s c -l count -d 'Stop after COUNT probes per target (default: until Ctrl-C or the deadline)' -r
complete -c netlab -n "__fish_netlab_using_subcommand ping" -l probe-interface -d 'Ask the router (one address) about one of its interfaces with RFC 8335 probes: is it up, which families run on it (needs CAP_NET_RAW)' -r
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s i -l interval -d 'Time between probes to a target (at least 2ms without CAP_NET_RAW) [default: 1s; 10ms with -f]' -r
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s W -l timeout -d 'How long to wait for each reply before counting it lost (later ones count as late)' -r
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s w -l deadline -d 'Stop after this long, whatever has been sent or received (with -c: until COUNT replies)' -r
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s s -l size -d 'ICMP data bytes per probe' -r
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s t -l ttl -d 'Time to live (IPv6: hop limit) of the probes, 1-255' -r
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s I -l interface -d 'Send from this interface (SO_BINDTODEVICE) or source address' -r
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s p -l pattern -d 'Fill the probe data with this pattern of up to 16 hex bytes (e.g. ff00)' -r
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s M -l pmtudisc -d 'Path-MTU discovery: do (DF set, never fragment), want, dont (no DF), probe (DF, ignore the path MTU)' -r -f -a "do\t''
want\t''
dont\t''
probe\t''"
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s Q -l tos -d 'TOS (IPv6: traffic class): 0-255, decimal or 0x hex, or a DSCP name (EF, AF11-AF43, CS0-CS7)' -r
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s l -l preload -d 'Send this many probes at once before waiting (more than 3 needs CAP_NET_RAW)' -r
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s m -l mark -d 'Firewall mark of the probes (SO_MARK; needs CAP_NET_ADMIN)' -r
complete -c netlab -n "__fish_netlab_using_subcommand ping" -l format -d 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report' -r -f -a "table\t'Aligned tables and rows for people'
json\t'One JSON document on stdout when the command ends'
markdown\t'The tables as GitHub-flavoured markdown, below the command line and the time'
atlas\t'RIPE Atlas measurement results (ping, trace, resolve), a JSON array'
csv\t'Comma-separated values with a header row (trace -c and --watch only)'"
complete -c netlab -n "__fish_netlab_using_subcommand ping" -l plot -d 'Draw RTT per probe over time (losses marked) and the RTT histogram into FILE (.svg or .png)' -r
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s a -l alive -d 'Sweep: print only the addresses that answered, one per line, as fping -a'
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s u -l unreachable -d 'Sweep: print only the addresses that did not answer, one per line, as fping -u'
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s q -l quiet -d 'Print only the summary, not a row per reply'
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s n -l numeric -d 'Show addresses only (no reverse DNS names)'
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s f -l flood -d 'Flood: send as fast as replies come back, at least every 10ms; print . per probe and a backspace per reply (CAP_NET_RAW)'
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s A -l adaptive -d 'Adaptive: send the next probe as soon as the reply comes (at most -i apart; at least 200ms without CAP_NET_RAW)'
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s D -l timestamps -d 'Print the Unix time before each row'
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s O -l report-outstanding -d 'Say "no answer yet" when a probe is still unanswered as the next one goes out'
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s b -l broadcast -d 'Allow pinging a broadcast address'
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s 4 -d 'Use IPv4 only'
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s 6 -d 'Use IPv6 only'
complete -c netlab -n "__fish_netlab_using_subcommand ping" -l json -d 'Short for --format json'
complete -c netlab -n "__fish_netlab_using_subcommand ping" -l watch -d 'Full-screen live chart and table of every target on a terminal (keys: q quit, p pause, r reset, +/- window, l log, n names); the usual rows (NDJSON with --json) otherwise'
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand ping" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s p -l port -d 'Destination port (UDP default 33434, TCP default 80); the same for every probe' -r
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s m -l max-hops -d 'Largest TTL (hop limit) to probe' -r
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s f -l first -d 'TTL of the first hop to probe' -r
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s q -l queries -d 'Probes per hop (default 3; 1 per round with -c or --watch)' -r
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s w -l wait -d 'The longest a probe waits for its answer (most wait far less: see the README)' -r
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s s -l source -d 'Source address of the probes' -r
complete -c netlab -n "__fish_netlab_using_subcommand trace" -l interface -d 'Send the probes through this interface (SO_BINDTODEVICE; traceroute\'s -i, which is the interval here)' -r
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s t -l tos -d 'TOS (IPv6: traffic class): 0-255, decimal or 0x hex, or a DSCP name (EF, AF11-AF43, CS0-CS7)' -r
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s N -l sim-queries -d 'Probes in flight at once [default: 16]' -r
complete -c netlab -n "__fish_netlab_using_subcommand trace" -l asn-zone -d 'The zone -A asks: origin.ZONE, origin6.ZONE and AS<n>.ZONE' -r
complete -c netlab -n "__fish_netlab_using_subcommand trace" -l format -d 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report' -r -f -a "table\t'Aligned tables and rows for people'
json\t'One JSON document on stdout when the command ends'
markdown\t'The tables as GitHub-flavoured markdown, below the command line and the time'
atlas\t'RIPE Atlas measurement results (ping, trace, resolve), a JSON array'
csv\t'Comma-separated values with a header row (trace -c and --watch only)'"
complete -c netlab -n "__fish_netlab_using_subcommand trace" -l plot -d 'Draw RTT per hop and the unanswered probes per hop into FILE (.svg or .png), over the rounds with -c/--watch' -r
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s c -l cycles -d 'Trace N rounds over every hop, then print per-hop statistics (like mtr -r -c N)' -r
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s i -l interval -d 'Time between round starts with -c or --watch (below 2ms needs CAP_NET_RAW, as ping\'s -i)' -r
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s o -l fields -d 'Statistics columns, comma-separated, as mtr -o (see the README; e.g. loss,sent,avg,worst,kind)' -r
complete -c netlab -n "__fish_netlab_using_subcommand trace" -l flows -d 'Probe N flows side by side (different flow identifiers), to see every load-balanced path' -r
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s I -l icmp -d 'Probe with ICMP echo requests'
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s U -l udp -d 'Probe with UDP datagrams to one fixed port (the default)'
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s T -l tcp -d 'Probe with TCP SYNs (connect attempts) to one port'
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s n -l numeric -d 'Show addresses only (no reverse DNS names)'
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s F -l dont-fragment -d 'Don\'t fragment: set DF (IPv6: never fragment locally); a hop behind a smaller MTU answers !F'
complete -c netlab -n "__fish_netlab_using_subcommand trace" -l mtu -d 'Discover the path MTU along the trace (traceroute --mtu, tracepath): probes start at the route\'s MTU with DF, and shrink where a router says the next link is smaller'
complete -c netlab -n "__fish_netlab_using_subcommand trace" -l back -d 'Show the number of hops back where it differs from the hops forward, guessed from each answer\'s TTL (traceroute --back, tracepath\'s asymm)'
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s A -l asn -d 'Show the AS number, prefix and AS name of every hop, from DNS TXT records in Team Cymru\'s format (mtr -z, traceroute -A)'
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s 4 -d 'Use IPv4 only'
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s 6 -d 'Use IPv6 only'
complete -c netlab -n "__fish_netlab_using_subcommand trace" -l json -d 'Short for --format json'
complete -c netlab -n "__fish_netlab_using_subcommand trace" -l watch -d 'Keep tracing round after round until Ctrl-C (or -c N rounds): one line (NDJSON with --json) per round when stdout is not a terminal'
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand trace" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l banner -d 'Greet each client with TEXT and a newline, then close (escapes: \\n \\r \\t \\\\ \\xNN)' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l reply -d 'Answer each line with TEMPLATE: {line} the line, {peer} the client, {{ }} braces' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l eol -d 'With --chat: what ends each typed line sent to the client (none: `bye`, not `bye\\n`)' -r -f -a "none\t'Nothing: the text is the message (as the lab\'s Python clients send)'
lf\t'A newline'
crlf\t'Carriage return and newline (telnet, HTTP, SMTP)'"
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l idle-timeout -d 'Close a connection after this long without data in either direction' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l max-connections -d 'Connections served at once; more are closed at once and logged as refused [default: 256, 1 with --chat]' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l max-line -d 'Longest line in bytes (newline included); a longer one ends the connection' -r
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l format -d 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report' -r -f -a "table\t'Aligned tables and rows for people'
json\t'One JSON document on stdout when the command ends'
markdown\t'The tables as GitHub-flavoured markdown, below the command line and the time'
atlas\t'RIPE Atlas measurement results (ping, trace, resolve), a JSON array'
csv\t'Comma-separated values with a header row (trace -c and --watch only)'"
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l echo -d 'Send back every byte received, as it arrives (the default)'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l words -d 'Answer each line with its unique words (first-seen order) and its length in characters'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l chat -d 'Print what the client sends as it arrives, send lines typed on stdin; `bye` from either side ends it'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -s u -l udp -d 'Serve UDP datagrams (echo, banner, reply, words): one answer per datagram'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -s 4 -d 'Use IPv4 only'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -s 6 -d 'Use IPv6 only'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -l json -d 'Short for --format json'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand serve" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand check" -s p -l port -d 'TCP port to connect to [default: 80]' -r
complete -c netlab -n "__fish_netlab_using_subcommand check" -l format -d 'How to print the result: a table for people, one JSON document for scripts, or markdown tables for a report' -r -f -a "table\t'Aligned tables and rows for people'
json\t'One JSON document on stdout when the command ends'
markdown\t'The tables as GitHub-flavoured markdown, below the command line and the time'
atlas\t'RIPE Atlas measurement results (ping, trace, resolve), a JSON array'
csv\t'Comma-separated values with a header row (trace -c and --watch only)'"
complete -c netlab -n "__fish_netlab_using_subcommand check" -l plot -d 'Draw the four parts and the verdict on one page into FILE (.svg or .png)' -r
complete -c netlab -n "__fish_netlab_using_subcommand check" -l report -d 'Write the lab report into DIR: report.md with every table, and the pictures beside it' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand check" -s 4 -d 'Use IPv4 only'
complete -c netlab -n "__fish_netlab_using_subcommand check" -s 6 -d 'Use IPv6 only'
complete -c netlab -n "__fish_netlab_using_subcommand check" -l json -d 'Short for --format json'
complete -c netlab -n "__fish_netlab_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netlab -n "__fish_netlab_using_subcommand check" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand exporter" -l listen -d 'Address to serve /metrics and /probe on [default: 127.0.0.1:9470, or the config\'s listen]' -r
complete -c netlab -n "__fish_netlab_using_subcommand exporter" -l config -d 'Configuration file (TOML): targets, intervals, what /probe may probe' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand exporter" -l web.config.file -d 'TLS and basic auth, in the web configuration format of Prometheus\' exporters (YAML: tls_server_config, basic_auth_users)' -r -F
complete -c netlab -n "__fish_netlab_using_subcommand exporter" -l probe-any-target -d 'Let /probe probe any target, not only the ones the config allows (turns the port into a prober for whoever reaches it)'
complete -c netlab -n "__fish_netlab_using_subcommand exporter" -s h -l help -d 'Print help'
complete -c netlab -n "__fish_netlab_using_subcommand exporter" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand completions" -s h -l help -d 'Print help'
complete -c netlab -n "__fish_netlab_using_subcommand completions" -s V -l version -d 'Print version'
complete -c netlab -n "__fish_netlab_using_subcommand help; and not __fish_seen_subcommand_from resolve connect ping trace serve check exporter completions help" -f -a "resolve" -d 'Resolve names to addresses as the system does (/etc/hosts, then DNS), or ask a server'
complete -c netlab -n "__fish_netlab_using_subcommand help; and not __fish_seen_subcommand_from resolve connect ping trace serve check exporter completions help" -f -a "connect" -d 'Probe TCP or UDP ports: open, closed, filtered or unreachable, with timings'
complete -c netlab -n "__fish_netlab_using_subcommand help; and not __fish_seen_subcommand_from resolve connect ping trace serve check exporter completions help" -f -a "ping" -d 'Send ICMP echo requests to one or many hosts, with live rows and statistics'
complete -c netlab -n "__fish_netlab_using_subcommand help; and not __fish_seen_subcommand_from resolve connect ping trace serve check exporter completions help" -f -a "trace" -d 'Trace the route to a host: parallel, adaptive hop discovery with UDP, ICMP or TCP'
complete -c netlab -n "__fish_netlab_using_subcommand help; and not __fish_seen_subcommand_from resolve connect ping trace serve check exporter completions help" -f -a "serve" -d 'Serve TCP or UDP: echo, greet, answer from a template, count words, or chat'
complete -c netlab -n "__fish_netlab_using_subcommand help; and not __fish_seen_subcommand_from resolve connect ping trace serve check exporter completions help" -f -a "check" -d 'Resolve, connect, ping and trace one target, and check that they agree'
complete -c netlab -n "__fish_netlab_using_subcommand help; and not __fish_seen_subcommand_from resolve connect ping trace serve check exporter completions help" -f -a "exporter" -d 'Ping (and trace) targets continuously and serve Prometheus metrics; /probe for one-off probes'
complete -c netlab -n "__fish_netlab_using_subcommand help; and not __fish_seen_subcommand_from resolve connect ping trace serve check exporter completions help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c netlab -n "__fish_netlab_using_subcommand help; and not __fish_seen_subcommand_from resolve connect ping trace serve check exporter completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
