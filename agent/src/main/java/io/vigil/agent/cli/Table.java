package io.vigil.agent.cli;

import java.util.ArrayList;
import java.util.List;

/** A patronictl-style ASCII table: a title in the top border, right-aligned numbers. */
final class Table {
    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    Table(List<String> headers) {
        this.headers = headers;
    }

    Table row(List<String> cells) {
        rows.add(cells);
        return this;
    }

    String render(String title) {
        int[] w = new int[headers.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = headers.get(i).length();
            for (List<String> r : rows) w[i] = Math.max(w[i], r.get(i) == null ? 0 : r.get(i).length());
        }
        StringBuilder border = new StringBuilder("+");
        for (int x : w) border.append("-".repeat(x + 2)).append('+');
        StringBuilder sb = new StringBuilder();
        String top = border.toString();
        if (title != null && title.length() + 4 < top.length()) {
            top = "+ " + title + " " + top.substring(title.length() + 3);
        }
        sb.append(top).append('\n');
        line(sb, headers, w, false);
        sb.append(border).append('\n');
        for (List<String> r : rows) line(sb, r, w, true);
        sb.append(border).append('\n');
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells, int[] w, boolean alignNumbers) {
        sb.append('|');
        for (int i = 0; i < w.length; i++) {
            String c = cells.get(i) == null ? "" : cells.get(i);
            boolean number = alignNumbers && c.matches("-?[0-9.]+");
            sb.append(' ').append(number ? " ".repeat(w[i] - c.length()) + c : c + " ".repeat(w[i] - c.length())).append(" |");
        }
        sb.append('\n');
    }
}
