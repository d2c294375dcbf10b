package io.ctrstream.schemas;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;

/**
 * The one Jackson configuration of the wire contract. Strict the way the JSON Schemas are: no
 * unknown fields, no duplicate keys, no trailing content, and no silent coercion ({@code "42"} is
 * not a number, {@code 42} is not a string, {@code 1.5} is not an integer).
 */
public final class Json {
  private static final ObjectMapper MAPPER = create();

  private Json() {}

  /** The shared, thread-safe mapper. Do not reconfigure it; call {@link #create()} for a copy. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** A new mapper with the contract's settings. */
  public static ObjectMapper create() {
    JsonMapper mapper =
        JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();
    for (LogicalType type : new LogicalType[] {LogicalType.Textual, LogicalType.Integer,
        LogicalType.Float, LogicalType.Boolean, LogicalType.Enum}) {
      mapper.coercionConfigFor(type)
          .setCoercion(CoercionInputShape.Integer, type == LogicalType.Integer || type == LogicalType.Float
              ? CoercionAction.TryConvert : CoercionAction.Fail)
          .setCoercion(CoercionInputShape.Float, type == LogicalType.Float
              ? CoercionAction.TryConvert : CoercionAction.Fail)
          .setCoercion(CoercionInputShape.Boolean, type == LogicalType.Boolean
              ? CoercionAction.TryConvert : CoercionAction.Fail)
          .setCoercion(CoercionInputShape.String, type == LogicalType.Textual || type == LogicalType.Enum
              ? CoercionAction.TryConvert : CoercionAction.Fail)
          .setCoercion(CoercionInputShape.EmptyString, type == LogicalType.Textual
              ? CoercionAction.TryConvert : CoercionAction.Fail);
    }
    return mapper;
  }
}
