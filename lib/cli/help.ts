/**
 * storescu's `--help` text, in the reference's layout.
 *
 * @module
 */

/** The usage line printed before a command-line error. */
export const USAGE = "usage: storescu [options] addr port path";

/** The `--help` text. */
export const HELP = `${USAGE}
       storescu [options] --echo addr port
       storescu [options] --dest name path

The storescu application implements a Service Class User (SCU) for the Storage
Service Class. For each DICOM file on the command line it sends a C-STORE
message to a Storage Service Class Provider (SCP) and waits for a response.

options:
  -h, --help            show this help message and exit

Parameters:
  addr                  TCP/IP address or hostname of DICOM peer
  port                  TCP/IP port number of peer
  path                  DICOM file or directory to be transmitted

General Options:
  --version             print version information and exit
  -q, --quiet           quiet mode, print no warnings and errors
  -v, --verbose         verbose mode, print processing details
  -d, --debug           debug mode, print debug information
  -ll [l], --log-level [l]
                        use level l for the logger (critical, error, warn,
                        info, debug)

Input Options:
  -r, --recurse         recursively search the given directory

Network Options:
  -aet [a]etitle, --calling-aet [a]etitle
                        set my calling AE title (default: STORESCU)
  -aec [a]etitle, --called-aet [a]etitle
                        set called AE title of peer (default: ANY-SCP)
  -ta [s]econds, --acse-timeout [s]econds
                        timeout for ACSE messages (default: 30 s)
  -td [s]econds, --dimse-timeout [s]econds
                        timeout for DIMSE messages (default: 30 s)
  -tn [s]econds, --network-timeout [s]econds
                        timeout for the network (default: 30 s)
  -pdu [n]umber of bytes, --max-pdu [n]umber of bytes
                        set max receive pdu to n bytes (0 for unlimited,
                        default: 16382)

Transfer Syntax Options:
  -xe, --request-little
                        request explicit VR little endian TS only
  -xb, --request-big    request explicit VR big endian TS only
  -xi, --request-implicit
                        request implicit VR little endian TS only

Miscellaneous Options:
  -cx, --required-contexts
                        only request the presentation contexts required for
                        the input DICOM file(s)

Our additions:
  --parallel [n]        send over n associations at once (default: 1)
  --async [n]           propose an asynchronous operations window of n
                        outstanding C-STOREs (default: 1, none proposed)
  --retry [n]           re-send files that failed for a transient reason
                        (refused, reset, aborted, timed out, 0xA7xx) up to n
                        more times, over a new association (default: 0)
  --retry-delay [s]econds
                        first retry delay, doubled each time (default: 1 s)
  --report [f]ile       write one JSON line per file to f ('-' for stdout);
                        needs write permission for f (-W)
  --decompress [p]olicy
                        when the peer refuses a file's compressed transfer
                        syntax, send it decoded (uncompressed): never,
                        lossless (only files whose syntax is lossless:
                        RLE, JPEG Lossless, JPEG-LS Lossless, JPEG 2000
                        Lossless Only...) or lossy (also JPEG Baseline and
                        Extended, JPEG-LS near-lossless, JPEG 2000, HTJ2K)
                        (default: lossless)
  --compress [s]yntax   propose rle, jpeg-ls, j2k or htj2k first and encode
                        uncompressed files to it (lossless) when the peer
                        accepts it; otherwise send them uncompressed
  --codec-threads [n]   decode (and --compress encode) frames on n threads
                        while sending (default: the machine's cores, at most
                        4; 0: on the main thread; started once frames have
                        taken 150 ms on the main thread)
  --journal [f]ile      resume journal: each instance stored is appended to f
                        at once; files whose instance f lists as stored at
                        this peer (AE title, address, port) are skipped;
                        needs read and write permission for f
  --progress            show the progress line even when stderr is not a
                        terminal
  --no-progress         no progress line (default: shown when stderr is a
                        terminal, unless -q)

Checks (nothing sent):
  --echo                send a C-ECHO first; alone (no path) it is the whole
                        run: storescu --echo addr port. If it fails, nothing
                        is sent and every file is reported not sent (exit 1)
  --dry-run             print the plan (associations, contexts, the transfer
                        syntax each file would be sent in, what can't go)
                        without connecting; --report writes it as JSON lines
  --probe               like --dry-run, and request each planned association
                        from the peer to show what it accepts, then release

Destinations:
  --dest [n]ame         take addr, port and AE titles from destination n of
                        the destinations file (every positional is then a
                        path); -aet/-aec still override it
  --config [f]ile       the destinations file (default:
                        $XDG_CONFIG_HOME/storescu/destinations.json or
                        ~/.config/storescu/destinations.json, which needs
                        --allow-env=XDG_CONFIG_HOME,HOME to be found)

Input selection:
  --pattern [g]lob      take only files whose name matches g (*, ?, [...])
                        when scanning directories; may be repeated; files
                        named on the command line are always taken
  --dicomdir            send the files each DICOMDIR references (like
                        dcmsend +rd); a DICOMDIR itself is never sent: it is
                        skipped either way
  --ignore-non-dicom    leave files that are not DICOM at all out of the
                        account (by default each is reported not sent)

TLS Options (TLS 1.2 and 1.3 only, with the cipher suites Deno's TLS offers by
default: the BCP 195 profile of PS3.15 B.12, RFC 8996/9325):
  --tls                 speak DICOM over TLS
  --tls-ca [f]ile       trust the CA certificate(s) in PEM file f; may be
                        repeated (default: the system's CA bundle)
  --tls-cert [f]ile     our certificate (PEM), for peers that require one
                        (mutual TLS); needs --tls-key
  --tls-key [f]ile      the private key of --tls-cert (PEM, unencrypted)
  --tls-server-name [n]ame
                        the name the peer's certificate must carry, also
                        sent as SNI (default: addr)
  --tls-insecure        do not check the peer's certificate at all (a W:
                        line says so on every run)

User Identity Options (PS3.7 D.3.3.7; secrets are read from files, never
taken on the command line, never printed; -d shows their length only):
  --user [n]ame         send username n
  --password-file [f]ile
                        with --user: send the password in file f ('-' reads
                        standard input)
  --kerberos-file [f]ile
                        send the Kerberos service ticket in file f
  --saml-file [f]ile    send the SAML assertion in file f
  --jwt-file [f]ile     send the JSON Web Token in file f
  --user-response       ask the peer to confirm the identity; abort when it
                        does not

Exit status:
  0  every file was stored (Success or Warning status) or skipped (a DICOMDIR,
     or stored by an earlier run: --journal)
  1  no association could be established (or --echo failed); nothing stored
  2  bad command line or destinations file
  3  some files were not stored (each is named on stderr with its reason)
  4  internal error
  5  nothing to send: no file found, or every file found was left out (why
     is printed)
  130, 143
     interrupted by SIGINT (Ctrl-C) or SIGTERM: no more files were sent, those
     in flight finished (a second signal aborts them), every file is accounted
     for and the summary printed
`;
