package dev.kiln.common.tree;

import dev.kiln.common.memory.QueryMemoryBudget;
import dev.kiln.common.memory.TrackedSize;
import dev.kiln.common.symbols.LongIntHashMap;
import dev.kiln.proto.query.v1.Tree;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A mutable call tree keyed by frame names: the unit every query source returns and every merger
 * combines. Node 0 is the root; nodes are created parent-first, so {@code parent[i] < i}, and
 * totals can be computed in one reverse pass. Merging is by path of names.
 */
public final class CallTree {
    private final Map<String, Integer> nameIds = new HashMap<>();
    private String[] names = new String[256];
    private int nameCount;

    private int[] parent;
    private int[] name;
    private long[] self;
    /**
     * Per node, the child {@link #child} returned last (0: none yet). Most nodes of a call tree have
     * one child, and trees are built and merged parent-first, so this answers most lookups from an
     * array indexed by node instead of a probe into the (much larger, cache-missing) hash table.
     */
    private int[] lastChild;
    private int size = 1;
    /** (parent, name) to child. Rebuilt on first use after {@link #dropIndex} or {@link #add(CallTree, long[])} copied a tree. */
    private LongIntHashMap children;
    private boolean indexed = true;
    /** The query memory this tree counts against, or null. */
    private TrackedSize memory;

    public CallTree() {
        this(1024);
    }

    /** A tree with room for {@code expectedNodes} nodes before it grows (growing rehashes every child link). */
    public CallTree(int expectedNodes) {
        int capacity = Math.max(16, expectedNodes);
        parent = new int[capacity];
        name = new int[capacity];
        self = new long[capacity];
        lastChild = new int[capacity];
        children = new LongIntHashMap(capacity);
        internName("total");
        parent[0] = -1;
    }

    public int size() {
        return size;
    }

    public int parent(int node) {
        return parent[node];
    }

    public String name(int node) {
        return names[name[node]];
    }

    public int nameId(int node) {
        return name[node];
    }

    public String nameOf(int nameId) {
        return names[nameId];
    }

    public int nameCount() {
        return nameCount;
    }

    public long self(int node) {
        return self[node];
    }

    public int internName(String n) {
        index();
        Integer id = nameIds.get(n);
        if (id != null) {
            return id;
        }
        if (nameCount == names.length) {
            names = Arrays.copyOf(names, nameCount * 2);
            account();
        }
        names[nameCount] = n;
        nameIds.put(n, nameCount);
        return nameCount++;
    }

    /** The child of {@code node} named {@code nameId}, created when absent. */
    public int child(int node, int nameId) {
        int last = lastChild[node];
        if (last != 0 && name[last] == nameId) {
            return last;
        }
        index();
        int c = children.putIfAbsent(((long) node << 32) | nameId, size);
        if (c < 0) {
            c = size++;
            if (c == parent.length) {
                resize(c * 2);
            }
            parent[c] = node;
            name[c] = nameId;
        }
        lastChild[node] = c;
        return c;
    }

    /** Makes room for {@code nodes} nodes in all (a hint: trees grow as needed). */
    public void reserve(int nodes) {
        if (nodes > parent.length) {
            resize(nodes);
        }
        index();
        children.ensureCapacity(nodes);
    }

    /**
     * Counts this tree's memory against a query's reservation from now on, growing it as the tree
     * grows; a growth past the budget throws {@code RESOURCE_EXHAUSTED}.
     */
    public void track(QueryMemoryBudget.Reservation reservation) {
        memory = new TrackedSize(reservation);
        account();
    }

    /**
     * Per node slot: parent, name and last-child ints and the self long (20 bytes), and about two
     * slots of the child index (12 bytes each); per name slot, a reference plus a typical short
     * string when the tree owns its names.
     */
    private static final long BYTES_PER_NODE = 44;
    private static final long BYTES_PER_NAME = 64;

    private void account() {
        if (memory != null) {
            memory.update(parent.length * BYTES_PER_NODE + names.length * BYTES_PER_NAME);
        }
    }

    /** Frees the lookup index of a tree that will only be read (it is rebuilt if the tree is added to). */
    void dropIndex() {
        children = new LongIntHashMap(1);
        nameIds.clear();
        indexed = false;
    }

    private void index() {
        if (indexed) {
            return;
        }
        indexed = true;
        children = new LongIntHashMap(size);
        for (int i = 1; i < size; i++) {
            children.put(((long) parent[i] << 32) | name[i], i);
        }
        for (int i = 0; i < nameCount; i++) {
            nameIds.put(names[i], i);
        }
    }

    /**
     * Adds the nodes of {@code shape} with self values {@code self} (indexed by shape node), those
     * with a non-zero total. Into an empty tree this copies {@code shape}'s arrays, zero nodes
     * included ({@link #toProto} leaves them out), and defers building the lookup index until
     * something else is added: a query of one block never builds it.
     */
    public void add(CallTree shape, long[] self) {
        if (size == 1 && this.self[0] == 0 && nameCount == 1) {
            size = shape.size;
            parent = Arrays.copyOf(shape.parent, Math.max(size, 16));
            name = Arrays.copyOf(shape.name, parent.length);
            this.self = Arrays.copyOf(self, parent.length);
            lastChild = new int[parent.length];
            names = Arrays.copyOf(shape.names, Math.max(shape.nameCount, 16));
            nameCount = shape.nameCount;
            nameIds.clear();
            children = new LongIntHashMap(1);
            indexed = false;
            account();
            return;
        }
        long[] totals = Arrays.copyOf(self, shape.size);
        for (int i = shape.size - 1; i > 0; i--) {
            totals[shape.parent[i]] += totals[i];
        }
        int[] map = new int[shape.size];
        int[] nameMap = new int[shape.nameCount];
        Arrays.fill(nameMap, -1);
        this.self[0] += self[0];
        for (int i = 1; i < shape.size; i++) {
            if (totals[i] == 0) {
                continue;
            }
            int nm = shape.name[i];
            if (nameMap[nm] < 0) {
                nameMap[nm] = internName(shape.names[nm]);
            }
            int n = child(map[shape.parent[i]], nameMap[nm]);
            map[i] = n;
            this.self[n] += self[i];
        }
    }

    private void resize(int capacity) {
        parent = Arrays.copyOf(parent, capacity);
        name = Arrays.copyOf(name, capacity);
        self = Arrays.copyOf(self, capacity);
        lastChild = Arrays.copyOf(lastChild, capacity);
        account();
    }

    public void addSelf(int node, long value) {
        self[node] += value;
    }

    /** Adds a stack given root first. */
    public void addStack(String[] rootFirst, long value) {
        int node = 0;
        for (String frame : rootFirst) {
            node = child(node, internName(frame));
        }
        self[node] += value;
    }

    /** Totals per node (self plus all descendants). */
    public long[] totals() {
        long[] t = Arrays.copyOf(self, size);
        for (int i = size - 1; i > 0; i--) {
            t[parent[i]] += t[i];
        }
        return t;
    }

    public long total() {
        long sum = 0;
        for (int i = 0; i < size; i++) {
            sum += self[i];
        }
        return sum;
    }

    /** Adds every node of {@code other} into this tree. */
    public void merge(CallTree other) {
        int[] map = new int[other.size];
        int[] nameMap = new int[other.nameCount];
        for (int i = 0; i < other.nameCount; i++) {
            nameMap[i] = internName(other.names[i]);
        }
        map[0] = 0;
        self[0] += other.self[0];
        for (int i = 1; i < other.size; i++) {
            int n = child(map[other.parent[i]], nameMap[other.name[i]]);
            map[i] = n;
            self[n] += other.self[i];
        }
    }

    public void merge(Tree other) {
        int nodes = other.getParentCount();
        if (nodes == 0) {
            return;
        }
        int[] nameMap = new int[other.getNamesCount()];
        for (int i = 0; i < nameMap.length; i++) {
            nameMap[i] = internName(other.getNames(i));
        }
        int[] map = new int[nodes];
        self[0] += other.getSelf(0);
        for (int i = 1; i < nodes; i++) {
            int p = other.getParent(i);
            int nm = other.getName(i);
            if (p < 0 || p >= i || nm < 0 || nm >= nameMap.length) {
                throw new IllegalArgumentException("malformed tree: node " + i + " has parent " + p + " and name " + nm);
            }
            int n = child(map[p], nameMap[nm]);
            map[i] = n;
            self[n] += other.getSelf(i);
        }
    }

    public static CallTree fromProto(Tree t) {
        CallTree tree = new CallTree(t.getParentCount());
        tree.merge(t);
        return tree;
    }

    /** Serializes nodes with a non-zero total only (the rest carry no information). */
    public Tree toProto() {
        long[] totals = totals();
        int[] remap = new int[size];
        Tree.Builder b = Tree.newBuilder();
        int[] nameRemap = new int[nameCount];
        Arrays.fill(nameRemap, -1);
        int out = 0;
        int outNames = 0;
        for (int i = 0; i < size; i++) {
            if (i > 0 && totals[i] == 0) {
                remap[i] = -1;
                continue;
            }
            int nm = name[i];
            if (nameRemap[nm] < 0) {
                nameRemap[nm] = outNames++;
                b.addNames(names[nm]);
            }
            remap[i] = out++;
            b.addParent(i == 0 ? -1 : remap[parent[i]]);
            b.addName(nameRemap[nm]);
            b.addSelf(self[i]);
        }
        return b.build();
    }
}
