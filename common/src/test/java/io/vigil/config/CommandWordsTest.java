package io.vigil.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CommandWordsTest {
    @Test
    void splitsAsTheShellDoesForWordsAndQuotes() {
        assertThat(CommandWords.split("/usr/local/bin/cb.sh --quiet")).containsExactly("/usr/local/bin/cb.sh", "--quiet");
        assertThat(CommandWords.split("  /bin/cb 'two words' \"a \\\"b\\\"\" c\\ d ")).containsExactly("/bin/cb",
                "two words", "a \"b\"", "c d");
        assertThat(CommandWords.split("")).isEqualTo(List.of());
        assertThat(CommandWords.split("/bin/cb 'open")).as("an unclosed quote").isNull();
    }
}
