# Resolves a name inside the host under test, as goss's dns resource does (network-probes.ts
# runs it with perl -e; perl-base is Essential in Debian, so every image has it, and minbase
# images have no dig or host).
# Arguments: NAME TYPE SERVER PORT TIMEOUT_SECONDS. Without a server: the system resolver (A and
# AAAA, /etc/hosts included), as Go's net.LookupHost. With one: a query of TYPE (A and AAAA when
# empty) to that server, each answer printed as goss prints it ("10 mail.example.com.").
# Prints one answer a line; exits 0 with answers, 2 when the name does not resolve, 1 on failure.
use strict;
use warnings;
use Socket qw(getaddrinfo getnameinfo inet_ntop inet_pton AF_INET AF_INET6 SOCK_STREAM NI_NUMERICHOST NIx_NOSERV);
use IO::Socket::IP;
use IO::Select;

my ($name, $type, $server, $port, $timeout) = @ARGV;

sub fail { print STDERR "$_[0]\n"; exit 1; }

# Seconds since boot, to the hundredth: perl-base has no Time::HiRes, and goss's limit is on the
# lookup itself, not on starting perl in a busy container.
sub now { open(my $uptime, '<', '/proc/uptime') or return 0; return (split ' ', scalar <$uptime>)[0]; }

if ($server eq '') {
    my $start = now();
    my ($err, @found) = getaddrinfo($name, undef, { socktype => SOCK_STREAM });
    if (now() - $start > $timeout) { print STDERR "no answer within ${timeout} s\n"; exit 2; }
    if ($err) { print STDERR "$err\n"; exit 2; }
    my %seen;
    for my $ai (@found) {
        my ($e, $host) = getnameinfo($ai->{addr}, NI_NUMERICHOST, NIx_NOSERV);
        print "$host\n" unless $e || $seen{$host}++;
    }
    exit(%seen ? 0 : 2);
}

my %CODE = (A => 1, NS => 2, CNAME => 5, PTR => 12, MX => 15, TXT => 16, AAAA => 28, SRV => 33, CAA => 257);
my $qname = $type eq 'PTR' ? reverse_name($name) : $name;
my @answers = map { query($qname, $_) } ($type eq '' ? ('A', 'AAAA') : ($type));
print "$_\n" for @answers;
exit(@answers ? 0 : 2);

sub reverse_name {
    my ($ip) = @_;
    if (my $v4 = inet_pton(AF_INET, $ip)) { return join('.', reverse unpack('C4', $v4)) . '.in-addr.arpa'; }
    if (my $v6 = inet_pton(AF_INET6, $ip)) { return join('.', reverse split //, unpack('H32', $v6)) . '.ip6.arpa'; }
    fail("PTR: $ip is not an IP address");
}

sub query {
    my ($qname, $t) = @_;
    my $id = int(rand(65536));
    my $packet = pack('n6', $id, 0x0100, 1, 0, 0, 0);
    $packet .= pack('C/a*', $_) for grep { length } split /\./, $qname;
    $packet .= pack('C n n', 0, $CODE{$t}, 1);
    my $socket = IO::Socket::IP->new(PeerHost => $server, PeerPort => $port, Proto => 'udp')
        or fail("cannot reach DNS server $server:$port: $@");
    defined $socket->send($packet) or fail("cannot send to DNS server $server:$port: $!");
    my $reply;
    while (1) {
        IO::Select->new($socket)->can_read($timeout) or fail("no answer from DNS server $server:$port within ${timeout} s");
        defined $socket->recv($reply, 65535) or fail("no answer from DNS server $server:$port: $!");
        last if length($reply) >= 12 && unpack('n', $reply) == $id;
    }
    my ($flags, $questions, $count) = unpack('x2 n n n', $reply);
    my $rcode = $flags & 0xF;
    return () if $rcode == 3;
    fail("DNS server $server:$port answered with error code $rcode") if $rcode != 0;
    my $at = 12;
    for (1 .. $questions) { (undef, $at) = read_name($reply, $at); $at += 4; }
    my @found;
    for (1 .. $count) {
        (undef, $at) = read_name($reply, $at);
        fail('malformed DNS answer') if $at + 10 > length($reply);
        my ($rtype, undef, undef, $length) = unpack("x$at n n N n", $reply);
        $at += 10;
        push @found, rdata($reply, $at, $length, $t) if $rtype == $CODE{$t};
        $at += $length;
    }
    return @found;
}

# A name at an offset, following compression pointers; returns the name and the offset after it.
sub read_name {
    my ($msg, $at) = @_;
    my (@labels, $end);
    my $hops = 0;
    while (1) {
        fail('malformed DNS answer') if $at >= length($msg) || ++$hops > 128;
        my $len = unpack("x$at C", $msg);
        if (($len & 0xC0) == 0xC0) {
            $end //= $at + 2;
            $at = unpack("x$at n", $msg) & 0x3FFF;
            next;
        }
        $at++;
        last if $len == 0;
        push @labels, substr($msg, $at, $len);
        $at += $len;
    }
    return (join('.', @labels) . '.', $end // $at);
}

sub rdata {
    my ($msg, $at, $length, $t) = @_;
    my $data = substr($msg, $at, $length);
    return inet_ntop(AF_INET, $data) if $t eq 'A';
    return inet_ntop(AF_INET6, $data) if $t eq 'AAAA';
    return (read_name($msg, $at))[0] if $t eq 'CNAME' || $t eq 'NS' || $t eq 'PTR';
    return unpack('n', $data) . ' ' . (read_name($msg, $at + 2))[0] if $t eq 'MX';
    if ($t eq 'SRV') {
        my ($priority, $weight, $target_port) = unpack('n3', $data);
        return "$priority $weight $target_port " . (read_name($msg, $at + 6))[0];
    }
    if ($t eq 'TXT') {
        my (@strings, $i);
        for ($i = 0; $i < $length; $i += 1 + ord(substr($data, $i, 1))) { push @strings, substr($data, $i + 1, ord(substr($data, $i, 1))); }
        return @strings;
    }
    my ($flag, $tag_length) = unpack('C C', $data);
    return "$flag " . substr($data, 2, $tag_length) . ' ' . substr($data, 2 + $tag_length);
}
